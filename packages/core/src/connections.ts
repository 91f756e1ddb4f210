/**
 * A practice's connection to its EHR: settings validated against the plugin's schema, set-up
 * checks run before anything is saved, everything encrypted at rest, secrets never returned.
 */
import { type Kysely, sql } from 'kysely';
import { type Static, type TObject, Type } from 'typebox';
import { Value } from 'typebox/value';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import { Channel } from './coordination.ts';
import type { Db } from './db/database.ts';
import type { ConnectionStatus, Database, Practice } from './db/schema.ts';
import type { EhrContext, HookLogger, SetupCheck } from './ehr-plugin.ts';
import type { EhrRegistry } from './ehr-registry.ts';
import { CoreErrorCode, InputError, NotFoundError, UnprocessableError } from './errors.ts';
import type { SecretBox } from './secret-box.ts';
import type { SyncState } from './sync/sync-state.ts';
import { FreeObject, NullableDateTime, RefTo } from './view-schemas.ts';
import { recordHealthChanged } from './webhooks/events.ts';

/** One set-up check as the API answers it (component `SetupCheck`): the plugin's SetupCheck, as stored. */
export const SetupCheckSchema = Type.Object(
  {
    id: Type.String(),
    ok: Type.Boolean(),
    severity: Type.Union([Type.Literal('error'), Type.Literal('warning')]),
    message: Type.String(),
    fix: Type.Optional(Type.String()),
  },
  { $id: 'SetupCheck' },
);

/** A practice's connection as the API answers it (component `Connection`), never its secrets. */
export const ConnectionViewSchema = Type.Object(
  {
    ehr: Type.String(),
    settings: FreeObject('The settings, without secrets'),
    secrets: Type.Record(Type.String(), Type.Union([Type.Literal('set'), Type.Literal('missing')]), {
      description: 'Which secret fields are set. Their values are never returned.',
    }),
    status: Type.Union(
      [Type.Literal('unchecked'), Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('failing')],
      {
        description:
          'healthy; degraded: the last reads failed, fewer than 3 in a row; failing: 3 or more in a row, or the EHR refused the credentials or access (the set-up checks then run again and show which step to redo), or saved with failing set-up checks. Back to healthy on the first good read.',
      },
    ),
    syncFailures: Type.Integer({ description: 'Failed reads in a row since the last good one' }),
    setupChecks: Type.Array(RefTo(SetupCheckSchema)),
    checkedAt: NullableDateTime('When the set-up checks last ran'),
    lastSyncAt: NullableDateTime('When the last sync finished, well or not'),
    lastGoodSyncAt: NullableDateTime(
      'The older of the last good reads of the near window (today + 48 h) and of the rest of the horizon: every stored slot is at least this fresh',
    ),
    lastSyncError: Type.Union([Type.String(), Type.Null()]),
    lastSyncFix: Type.Union([Type.String(), Type.Null()], {
      description:
        "What the practice should do about the last failed read, in its words (from the plugin's error table or its failing set-up check); null once a read succeeds",
    }),
    nextSyncDueBy: NullableDateTime(
      'When the next background read of the near window is due (null: no worker has picked the practice up yet)',
    ),
    ehrCalls: Type.Union([
      Type.Object(
        {
          lastMinute: Type.Integer({ description: 'EHR calls made for this practice in the last minute' }),
          budgetPerMinute: Type.Integer({ description: "The practice's EHR call budget a minute" }),
        },
        { description: 'As counted by the worker process that reads this practice' },
      ),
      Type.Null(),
    ]),
  },
  { $id: 'Connection' },
);
export type ConnectionView = Static<typeof ConnectionViewSchema>;

/** The names of the fields a connection schema marks `writeOnly: true`. */
export function secretFields(schema: TObject): string[] {
  return Object.entries(schema.properties)
    .filter(([, property]) => (property as { writeOnly?: boolean }).writeOnly === true)
    .map(([name]) => name);
}

/** Failed reads in a row that make a degraded connection failing. */
export const FAILING_AFTER = 3;
/** A process confirms a practice's connection healthy in the database at most this often (ms). */
const CONFIRM_HEALTHY_EVERY_MS = 60_000;

/** A failed read, as the connection records it. */
export interface ReadFailure {
  code: string;
  message: string;
  kind: string | null;
  /** The plugin's fix for this error, in the practice's words. */
  fix: string | null;
}

export class Connections {
  /** Practice → when this process last found its connection healthy in the database (ms). */
  readonly #confirmedHealthy = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly secrets: SecretBox,
    private readonly log: HookLogger,
    private readonly syncState: SyncState,
  ) {}

  /** Validates, runs the plugin's set-up checks and saves (encrypted) when they pass or `force` is set. */
  async put(
    caller: Caller,
    practice: Practice,
    settings: unknown,
    options: { force?: boolean } = {},
  ): Promise<ConnectionView> {
    const plugin = this.ehr.get(practice.ehr);
    if (!Value.Check(plugin.connectionSchema, settings)) {
      const problems = Value.Errors(plugin.connectionSchema, settings).map((e) => ({
        field: e.instancePath || '/',
        message: e.message,
      }));
      throw new InputError(
        CoreErrorCode.CONNECTION_INVALID,
        `The ${plugin.name} connection settings are not valid`,
        {
          fix: `Send the fields of the ${plugin.id} connection schema (GET /v1/plugins lists them).`,
          details: { errors: problems },
        },
      );
    }
    const values = settings as Record<string, unknown>;
    const checks = await this.ehr.checkSetup(practice.ehr, this.contextFor(practice, values));
    const failing = checks.filter((c) => !c.ok && c.severity === 'error');
    if (failing.length > 0 && !options.force) {
      throw new UnprocessableError(
        CoreErrorCode.SETUP_CHECKS_FAILED,
        `${failing.length} set-up check(s) failed; nothing was saved`,
        {
          fix: failing.map((c) => c.fix ?? c.message).join(' '),
          details: { checks },
        },
      );
    }
    const status: ConnectionStatus = failing.length === 0 ? 'healthy' : 'failing';
    const lastSyncFix = failing.length === 0 ? null : (failing[0]!.fix ?? failing[0]!.message);
    const row = {
      settings_ciphertext: this.secrets.seal(values),
      status,
      sync_failures: 0,
      last_sync_fix: null,
      setup_checks: JSON.stringify(checks),
      checked_at: new Date(),
      updated_at: new Date(),
    };
    const previous = await this.db.transaction().execute(async (trx) => {
      // The status before, under the row's lock, for connection.health_changed.
      const before = await trx
        .selectFrom('connections')
        .select(['settings_ciphertext', 'status'])
        .where('practice_id', '=', practice.id)
        .forUpdate()
        .executeTakeFirst();
      await trx
        .insertInto('connections')
        .values({ practice_id: practice.id, ...row })
        .onConflict((oc) => oc.column('practice_id').doUpdateSet(row))
        .execute();
      // Saved by a person (the console, a partner's screen): the partner hears of it as of a read.
      if (before && before.status !== status) {
        await recordHealthChanged(trx, practice, { status, previousStatus: before.status, lastSyncFix });
      }
      // The scheduler that owns the practice starts reading it now, not at its next reload.
      await sql`select pg_notify(${Channel.practices}, ${practice.id})`.execute(trx);
      return before;
    });
    // What a read confirmed before no longer stands: the next good read heals at once.
    this.#confirmedHealthy.delete(practice.id);
    await recordAudit(this.db, caller, practice.id, 'connection.saved', {
      ehr: practice.ehr,
      changedFields: this.changedFields(
        plugin.connectionSchema,
        previous?.settings_ciphertext ?? null,
        values,
      ),
      forced: Boolean(options.force && failing.length > 0),
      status,
    });
    return this.view(practice);
  }

  /**
   * Records a failed read: degraded, then failing after FAILING_AFTER in a row, or failing at
   * once when the EHR refused the credentials or access — then the plugin's set-up checks run
   * again (outside any transaction), so the connection shows which one fails and its fix.
   */
  async readFailed(
    db: Kysely<Database>,
    practice: Practice,
    failure: ReadFailure,
    at: Date,
    checks: SetupCheck[] | null,
  ): Promise<void> {
    this.#confirmedHealthy.delete(practice.id);
    const failingCheck = checks?.find((c) => !c.ok && c.severity === 'error');
    const before = await db
      .selectFrom('connections')
      .select('status')
      .where('practice_id', '=', practice.id)
      .forUpdate()
      .executeTakeFirst();
    const after = await db
      .updateTable('connections')
      .set((eb) => ({
        last_sync_at: at,
        last_sync_error: `${failure.code}: ${failure.message}`,
        last_sync_fix: failingCheck?.fix ?? failure.fix,
        sync_failures: eb('sync_failures', '+', 1),
        status:
          failure.kind === 'auth_failed'
            ? sql<ConnectionStatus>`'failing'`
            : sql<ConnectionStatus>`case when sync_failures + 1 >= ${FAILING_AFTER} or status = 'failing' then 'failing' else 'degraded' end`,
        ...(checks && { setup_checks: JSON.stringify(checks), checked_at: at }),
      }))
      .where('practice_id', '=', practice.id)
      .returning(['status', 'last_sync_fix'])
      .executeTakeFirst();
    if (before && after && before.status !== after.status) {
      await recordHealthChanged(db, practice, {
        status: after.status,
        previousStatus: before.status,
        lastSyncFix: after.last_sync_fix,
      });
    }
  }

  /** The plugin's set-up checks against the saved settings, or null when they could not run. */
  async recheck(practice: Practice): Promise<SetupCheck[] | null> {
    try {
      return await this.ehr.checkSetup(practice.ehr, await this.context(practice));
    } catch (error) {
      this.log.warn(
        { practiceId: practice.id, error: error instanceof Error ? error.message : String(error) },
        'set-up checks could not run again',
      );
      return null;
    }
  }

  /**
   * Records a good read: a degraded or failing connection is healthy again, with no human step
   * (and when its stored set-up checks fail, they run again so they show what is true now).
   * Costs nothing when it already is: this process looks in the database at most once a minute
   * per practice, with an update that matches no row.
   */
  async readSucceeded(practice: Practice, at: Date): Promise<void> {
    const confirmed = this.#confirmedHealthy.get(practice.id);
    if (confirmed !== undefined && at.getTime() - confirmed < CONFIRM_HEALTHY_EVERY_MS) return;
    // The status before, under the row's lock, for connection.health_changed.
    const healed = await this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('connections')
        .select('status')
        .where('practice_id', '=', practice.id)
        .forUpdate()
        .executeTakeFirst();
      const row = await trx
        .updateTable('connections')
        .set({ status: 'healthy', sync_failures: 0, last_sync_error: null, last_sync_fix: null })
        .where('practice_id', '=', practice.id)
        .where((eb) =>
          eb.or([
            eb('status', 'in', ['degraded', 'failing']),
            eb('sync_failures', '>', 0),
            eb('last_sync_error', 'is not', null),
          ]),
        )
        .returning('setup_checks')
        .executeTakeFirst();
      if (row && before && before.status !== 'healthy') {
        await recordHealthChanged(trx, practice, {
          status: 'healthy',
          previousStatus: before.status,
          lastSyncFix: null,
        });
      }
      return row;
    });
    this.#confirmedHealthy.set(practice.id, at.getTime());
    if (!healed) return;
    this.log.info({ practiceId: practice.id }, 'connection healthy again');
    const stored = (healed.setup_checks ?? []) as SetupCheck[];
    if (!stored.some((c) => !c.ok && c.severity === 'error')) return;
    const checks = await this.recheck(practice);
    if (!checks) return;
    await this.db
      .updateTable('connections')
      .set({ setup_checks: JSON.stringify(checks), checked_at: at })
      .where('practice_id', '=', practice.id)
      .execute();
  }

  async view(practice: Practice): Promise<ConnectionView> {
    const [row, sync] = await Promise.all([this.row(practice.id), this.syncState.of(practice.id)]);
    const schema = this.ehr.get(practice.ehr).connectionSchema;
    const hidden = new Set(secretFields(schema));
    const values = this.secrets.open<Record<string, unknown>>(row.settings_ciphertext);
    return {
      ehr: practice.ehr,
      settings: Object.fromEntries(Object.entries(values).filter(([k]) => !hidden.has(k))),
      secrets: Object.fromEntries(
        [...hidden].map((k) => [k, values[k] === undefined || values[k] === '' ? 'missing' : 'set']),
      ),
      status: row.status,
      syncFailures: row.sync_failures,
      setupChecks: (row.setup_checks ?? []) as SetupCheck[],
      checkedAt: row.checked_at?.toISOString() ?? null,
      lastSyncAt: sync.lastSyncAt?.toISOString() ?? null,
      lastGoodSyncAt: sync.lastGoodSyncAt?.toISOString() ?? null,
      lastSyncError: row.last_sync_error,
      lastSyncFix: row.last_sync_fix,
      nextSyncDueBy: sync.nextSyncDueBy?.toISOString() ?? null,
      ehrCalls:
        sync.ehrCallsPerMinute !== null
          ? { lastMinute: sync.ehrCallsLastMinute ?? 0, budgetPerMinute: sync.ehrCallsPerMinute }
          : null,
    };
  }

  /**
   * The hook context of a practice with its saved (decrypted) settings. Inside a transaction,
   * pass it as `db`, so the read does not wait for a second pooled connection.
   */
  async context(
    practice: Practice,
    options: { signal?: AbortSignal; db?: Kysely<Database> } = {},
  ): Promise<EhrContext> {
    const row = await this.row(practice.id, options.db);
    return this.contextFor(practice, this.secrets.open(row.settings_ciphertext), options.signal);
  }

  private contextFor(
    practice: Practice,
    settings: Record<string, unknown>,
    signal?: AbortSignal,
  ): EhrContext {
    return {
      practice: {
        id: practice.id,
        name: practice.name,
        odsCode: practice.ods_code,
        timeZone: practice.time_zone,
      },
      connection: settings,
      log: this.log,
      signal: signal ?? new AbortController().signal,
    };
  }

  private async row(practiceId: string, db: Kysely<Database> = this.db) {
    const row = await db
      .selectFrom('connections')
      .selectAll()
      .where('practice_id', '=', practiceId)
      .executeTakeFirst();
    if (!row) {
      throw new NotFoundError(CoreErrorCode.CONNECTION_MISSING, 'This practice has no EHR connection yet', {
        fix: 'PUT /v1/practices/{practiceId}/connection with the EHR credentials first.',
      });
    }
    return row;
  }

  private changedFields(
    schema: TObject,
    previousCiphertext: string | null,
    next: Record<string, unknown>,
  ): string[] {
    const before = previousCiphertext ? this.secrets.open<Record<string, unknown>>(previousCiphertext) : {};
    return Object.keys(schema.properties).filter((k) => before[k] !== next[k]);
  }
}
