/**
 * Reads V8 `.cpuprofile` files (what `node --cpu-prof` and peer-profiler.ts write) and lists the functions with the most self
 * time: where a benchmark process actually spent its CPU, summed over every call site of a function.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTimeEntry {
  /** `name (file:line)`, or a V8 pseudo-frame such as `(garbage collector)`. */
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples, in percent. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  top: SelfTimeEntry[];
}

function frameLabel(frame: CallFrame, root: string): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  let where = frame.url;
  if (where.startsWith('file://')) {
    try {
      where = relative(root, fileURLToPath(where));
    } catch {
      // Keep the URL as it is.
    }
  }
  // tsx compiles each module onto its first line, so line 1 says nothing; compiled code has real lines.
  return frame.lineNumber > 0 ? `${name} (${where}:${frame.lineNumber + 1})` : `${name} (${where})`;
}

/** The `count` functions with the most self time in one profile. */
export function summarizeProfile(profile: CpuProfile, file: string, root: string, count: number): ProfileSummary {
  const labels = new Map<number, string>();
  for (const node of profile.nodes) labels.set(node.id, frameLabel(node.callFrame, root));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to the frame that sample was in.
    const us = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
    const label = labels.get(samples[i]) ?? '(unknown)';
    if (label === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    selfUs.set(label, (selfUs.get(label) ?? 0) + us);
  }
  const top = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, percent: busyUs > 0 ? (us / busyUs) * 100 : 0 }));
  return { file, busyMs: busyUs / 1000, idleMs: idleUs / 1000, top };
}

/** Summaries of every `.cpuprofile` in `dir`. */
export async function summarizeProfiles(dir: string, root: string, count: number): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const out: ProfileSummary[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    out.push(summarizeProfile(profile, path, root, count));
  }
  return out;
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [`${s.file}: ${(s.busyMs / 1000).toFixed(2)} s busy, ${(s.idleMs / 1000).toFixed(2)} s idle; top self time:`];
  for (const e of s.top) lines.push(`  ${e.percent.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.frame}`);
  return lines.join('\n');
}
