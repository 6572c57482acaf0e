/**
 * CPU profiling of a benchmark peer over exactly one measurement: the V8 sampling profiler (the one behind
 * `node --cpu-prof`) started and stopped through `node:inspector`, so module loading and start-up are not
 * in the profile. The result is a standard `.cpuprofile` (opens in Chrome DevTools).
 */
import { Session } from 'node:inspector';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PEER_CALL_TIMEOUT_MS, PROFILE_SAMPLING_INTERVAL_US } from './constants.js';
import type { PeerProcess, PeerRole } from './peer-process.js';


let session: Session | null = null;

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    s.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

async function start(): Promise<void> {
  if (session !== null) throw new Error('the profiler is already running');
  const s = new Session();
  s.connect();
  session = s;
  await post(s, 'Profiler.enable');
  await post(s, 'Profiler.setSamplingInterval', { interval: PROFILE_SAMPLING_INTERVAL_US });
  await post(s, 'Profiler.start');
}

async function stop(args: { path: string }): Promise<void> {
  const s = session;
  if (s === null) throw new Error('the profiler is not running');
  session = null;
  const { profile } = await post<{ profile: unknown }>(s, 'Profiler.stop');
  s.disconnect();
  await writeFile(args.path, JSON.stringify(profile));
}

export const peerProfilerRoles: Record<string, PeerRole> = {
  'profile.start': start,
  'profile.stop': stop,
};

export async function closePeerProfiler(): Promise<void> {
  session?.disconnect();
  session = null;
}

/** Runs `fn` with every peer profiled; each profile goes to `<dir>/<peer label>.cpuprofile`. */
export async function profiled<T>(peers: PeerProcess[], dir: string, fn: () => Promise<T>): Promise<T> {
  await Promise.all(peers.map((p) => p.call('profile.start', {}, PEER_CALL_TIMEOUT_MS)));
  const outcome = await fn().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const stopped = await Promise.allSettled(
    peers.map((p) => p.call('profile.stop', { path: join(dir, `${p.label.replaceAll(' ', '-')}.cpuprofile`) }, PEER_CALL_TIMEOUT_MS)),
  );
  // The measurement's own failure matters more than a profile that could not be written.
  if (!outcome.ok) throw outcome.error;
  const failed = stopped.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return outcome.value;
}
