/**
 * `slotbridge api-keys <list|create|revoke|rotate> --partner <id> …`: a partner's API keys from the
 * command line, on the same core calls as the API (GET/POST /v1/partners/{partnerId}/api-keys…;
 * `create --practice <id>`: a practice key, as POST /v1/practices/{practiceId}/api-keys).
 * The output is JSON on stdout, one object per command (a list: one line per key), so it can be
 * piped; a new key (create, rotate) is printed once and kept nowhere. Errors go to stderr with
 * their code and fix, and exit 1; a usage error exits 2.
 *
 * Run against the database of the deployment (DATABASE_URL), or the embedded one when the server
 * is stopped. A key revoked here stops within 30 seconds in running API processes (they verify keys
 * from memory: docs/configuration.md, "API keys from the command line").
 */
import { parseArgs } from 'node:util';
import {
  ApiKeys,
  type Db,
  PAGE_MAX,
  ROTATION_GRACE_DEFAULT_SECONDS,
  ROTATION_GRACE_MAX_SECONDS,
  SlotbridgeError,
} from '@slotbridge/core';

export const API_KEYS_USAGE = `usage: slotbridge api-keys <command> --partner <partnerId> [options]
  list    --partner <id>                           the partner's keys, its practice keys with their
                                                   practiceId (never the key itself)
  create  --partner <id> --label <text> [--practice <practiceId>]
          a new key, printed once; with --practice, a practice key: it reaches that practice of
          the partner only (for its practice manager) and nothing at the partner's level
  revoke  --partner <id> --key <keyId>             the key stops working (running servers: within 30 s)
  rotate  --partner <id> --key <keyId> [--grace-seconds <n>]
          a new key, printed once (a practice key's reaches the same practice); the old one keeps working for n seconds
          (default ${ROTATION_GRACE_DEFAULT_SECONDS}, 24 h; at most ${ROTATION_GRACE_MAX_SECONDS}, 7 days; 0: it stops now)`;

const SUBCOMMANDS = ['list', 'create', 'revoke', 'rotate'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What the command asks for, or a usage error (the message to print). */
export function parseApiKeysArgs(args: string[]):
  | {
      subcommand: Subcommand;
      partnerId: string;
      label?: string;
      keyId?: string;
      practiceId?: string;
      graceSeconds?: number;
    }
  | { usage: string } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  const OPTIONS = {
    partner: { type: 'string' },
    label: { type: 'string' },
    key: { type: 'string' },
    practice: { type: 'string' },
    'grace-seconds': { type: 'string' },
  } as const;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { usage: (error as Error).message };
  }
  const [subcommand, ...extra] = parsed.positionals;
  if (!subcommand || !SUBCOMMANDS.includes(subcommand as Subcommand)) {
    return { usage: subcommand ? `unknown command "${subcommand}"` : 'a command is needed' };
  }
  if (extra.length > 0) return { usage: `unexpected "${extra.join(' ')}"` };
  const { partner, label, key, practice } = parsed.values;
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!partner || !uuid.test(partner)) return { usage: '--partner <partnerId> (a UUID) is needed' };
  const sub = subcommand as Subcommand;
  if (sub === 'create' && !label?.trim()) return { usage: 'create needs --label <text>' };
  if (practice !== undefined) {
    if (sub !== 'create') return { usage: '--practice goes with create only' };
    if (!uuid.test(practice)) return { usage: '--practice <practiceId> must be a UUID' };
  }
  if ((sub === 'revoke' || sub === 'rotate') && (!key || !uuid.test(key))) {
    return { usage: `${sub} needs --key <keyId> (a UUID; "list" shows them)` };
  }
  const graceText = parsed.values['grace-seconds'];
  let graceSeconds: number | undefined;
  if (graceText !== undefined) {
    if (sub !== 'rotate') return { usage: '--grace-seconds goes with rotate only' };
    graceSeconds = Number(graceText);
    if (!/^\d+$/.test(graceText) || graceSeconds > ROTATION_GRACE_MAX_SECONDS) {
      return { usage: `--grace-seconds must be 0 to ${ROTATION_GRACE_MAX_SECONDS} (7 days)` };
    }
  }
  return {
    subcommand: sub,
    partnerId: partner.toLowerCase(),
    ...(label !== undefined && { label: label.trim() }),
    ...(key !== undefined && { keyId: key.toLowerCase() }),
    ...(practice !== undefined && { practiceId: practice.toLowerCase() }),
    ...(graceSeconds !== undefined && { graceSeconds }),
  };
}

/** Runs one api-keys command on `db`; answers the exit code. */
export async function runApiKeysCommand(db: Db, args: string[], output: CliOutput): Promise<number> {
  const request = parseApiKeysArgs(args);
  if ('usage' in request) {
    output.err(`${request.usage}\n${API_KEYS_USAGE}`);
    return 2;
  }
  const apiKeys = new ApiKeys(db);
  // The command line acts as the admin: recorded in the audit with no key.
  const admin = null;
  try {
    switch (request.subcommand) {
      case 'list': {
        let cursor: string | undefined;
        do {
          const page = await apiKeys.listPartnerKeys(request.partnerId, { limit: PAGE_MAX, cursor });
          for (const key of page.items) output.out(JSON.stringify(key));
          cursor = page.next ?? undefined;
        } while (cursor);
        break;
      }
      case 'create': {
        const issued =
          request.practiceId === undefined
            ? await apiKeys.issuePartnerKey(request.partnerId, request.label!)
            : await apiKeys.issuePracticeKey(admin, request.partnerId, request.practiceId, request.label!);
        output.out(JSON.stringify(issued));
        output.err('The key is shown once: only its hash is kept.');
        break;
      }
      case 'revoke':
        output.out(JSON.stringify(await apiKeys.revokePartnerKey(admin, request.partnerId, request.keyId!)));
        output.err('Revoked. Running API processes refuse it within 30 seconds.');
        break;
      case 'rotate': {
        const { issued, previous } = await apiKeys.rotatePartnerKey(
          admin,
          request.partnerId,
          request.keyId!,
          request.graceSeconds ?? ROTATION_GRACE_DEFAULT_SECONDS,
        );
        output.out(JSON.stringify({ ...issued, previous }));
        output.err(
          `The new key is shown once. The old one works until ${previous.expiresAt} (status ${previous.status}).`,
        );
        break;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof SlotbridgeError) {
      output.err(`${error.code}: ${error.message}${error.fix ? `\nfix: ${error.fix}` : ''}`);
      return 1;
    }
    throw error;
  }
}
