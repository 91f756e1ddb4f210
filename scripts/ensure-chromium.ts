// The console's browser tests drive Debian's Chromium through playwright-core. `npm test` calls
// this first: it finds Chromium (SLOTBRIDGE_CHROMIUM, else /usr/bin/chromium) and, when it is
// missing on a Debian machine where we are root, installs the `chromium` package. Prints the
// executable's path, or explains why there is none (the browser test then fails saying so).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(env: NodeJS.ProcessEnv = process.env): {
  path: string | null;
  message: string;
} {
  const wanted = env.SLOTBRIDGE_CHROMIUM || DEFAULT_CHROMIUM;
  if (existsSync(wanted)) return { path: wanted, message: `Chromium: ${wanted}` };
  if (env.SLOTBRIDGE_CHROMIUM) {
    return {
      path: null,
      message: `SLOTBRIDGE_CHROMIUM=${wanted} does not exist: point it at a Chromium or Chrome executable.`,
    };
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    return {
      path: null,
      message: `No Chromium at ${wanted}. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set SLOTBRIDGE_CHROMIUM.`,
    };
  }
  console.log("Chromium is missing: installing Debian's chromium package (once) for the console tests…");
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let result = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  if (result.status !== 0) {
    apt(['update']);
    result = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  return existsSync(wanted)
    ? { path: wanted, message: `Chromium installed: ${wanted}` }
    : { path: null, message: 'apt-get could not install chromium: the console browser tests will fail.' };
}
