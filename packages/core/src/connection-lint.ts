/**
 * The set-up checks every plugin gets for free, from the fields its connection schema declares:
 * what a practice typed, looked at before anything is asked of the EHR.
 *
 * - `credentials.spaces`: a space at the start or end of a value (copying from an email often
 *   adds one). An error when the EHR then refuses the details (a failing error check of the
 *   plugin's), a warning when it accepts them: then the spaces are the practice's own.
 * - `credentials.filled`: a required value that is only spaces.
 * - `credentials.distinct`: one value typed into two fields (the user name pasted as the
 *   password, the same key twice).
 *
 * Each field is named by its schema `title`, else its name in words (`apiKey` → "api key").
 * Mix-ups only the EHR can tell (EMIS: the user's EMIS password typed as the API password) stay
 * in the plugin's own checks.
 */
import type { TObject } from 'typebox';
import type { SetupCheck } from './ehr-plugin.ts';

const FIX_SPACES = 'without spaces at the start or end (copying from an email often adds one).';

function labelOf(schema: TObject, field: string): string {
  const title = (schema.properties[field] as { title?: string }).title;
  return title ?? field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function list(labels: string[]): string {
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/** The shared checks of `values` against the fields of `schema`, given the plugin's own checks. */
export function lintConnection(
  schema: TObject,
  values: Record<string, unknown>,
  pluginChecks: SetupCheck[],
): SetupCheck[] {
  const strings = Object.keys(schema.properties).filter((field) => typeof values[field] === 'string');
  const value = (field: string) => values[field] as string;
  const required = new Set(schema.required ?? []);
  const refused = pluginChecks.some((c) => !c.ok && c.severity === 'error');

  const blank = strings.filter((f) => required.has(f) && value(f).length > 0 && value(f).trim() === '');
  const spaced = strings.filter((f) => !blank.includes(f) && value(f) !== value(f).trim());
  const label = (fields: string[]) => list(fields.map((f) => labelOf(schema, f)));

  const spaces: SetupCheck =
    spaced.length === 0
      ? {
          id: 'credentials.spaces',
          ok: true,
          severity: 'error',
          message: 'No spaces at the start or end of the details.',
        }
      : {
          id: 'credentials.spaces',
          ok: false,
          severity: refused ? 'error' : 'warning',
          message: `The ${label(spaced)} ${spaced.length === 1 ? 'has' : 'have'} a space at the start or end.`,
          fix: `Retype the ${label(spaced)} ${FIX_SPACES}`,
        };
  const filled: SetupCheck =
    blank.length === 0
      ? { id: 'credentials.filled', ok: true, severity: 'error', message: 'Every detail is filled in.' }
      : {
          id: 'credentials.filled',
          ok: false,
          severity: 'error',
          message: `The ${label(blank)} ${blank.length === 1 ? 'is' : 'are'} only spaces.`,
          fix: `Enter the ${label(blank)}.`,
        };

  const byValue = new Map<string, string[]>();
  for (const field of strings) {
    const typed = value(field).trim();
    if (typed.length < 4) continue; // short values (a port, a code) may well repeat
    byValue.set(typed, [...(byValue.get(typed) ?? []), field]);
  }
  const same = [...byValue.values()].find((fields) => fields.length > 1);
  const distinct: SetupCheck = same
    ? {
        id: 'credentials.distinct',
        ok: false,
        severity: refused ? 'error' : 'warning',
        message: `The ${label(same)} are the same.`,
        fix: `Each detail goes in its own field: check the ${label(same)} were not pasted twice.`,
      }
    : {
        id: 'credentials.distinct',
        ok: true,
        severity: 'error',
        message: 'Each detail is in its own field.',
      };
  return [spaces, filled, distinct];
}
