/**
 * Child process: the EMIS sandbox in fleet mode (many practices, one URL, a fixed latency per
 * call). Prints `BENCH_READY {"url": …}` once listening on 127.0.0.1; stops on SIGTERM.
 *   BENCH_FLEET_LATENCY_MS (100), BENCH_FLEET_DAYS (28), BENCH_FLEET_TIME_ZONE (Europe/London)
 */
import { createEmisFleet } from '../../packages/plugin-emis/src/sandbox/index.ts';

const fleet = await createEmisFleet({
  latencyMs: Number(process.env.BENCH_FLEET_LATENCY_MS ?? 100),
  days: Number(process.env.BENCH_FLEET_DAYS ?? 28),
  timeZone: process.env.BENCH_FLEET_TIME_ZONE ?? 'Europe/London',
});
const url = await fleet.listen();
console.log(`BENCH_READY ${JSON.stringify({ url })}`);

const stop = async () => {
  await fleet.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
