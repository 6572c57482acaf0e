/**
 * ManagedChild with ordinary local processes (no namespaces, no root): events are matched in order and
 * each returned once, silence is reported as null, a child that dies fails every wait with its stderr,
 * and stop() escalates from closing stdin to signals.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedChild } from './managed-child.js';

const started: ManagedChild[] = [];

/** A Node child running `code` (plain JavaScript, so it starts in well under a second). */
function child(code: string, name = 'test child'): ManagedChild {
  const c = new ManagedChild(name, spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'pipe'], detached: true }));
  started.push(c);
  return c;
}

const print = (obj: object) => `process.stdout.write(${JSON.stringify(JSON.stringify(obj) + '\n')});`;

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop(200)));
});

describe('ManagedChild', () => {
  it('returns matching events in order, each once, leaving others for later waits', async () => {
    const c = child(
      [print({ event: 'a', n: 1 }), 'console.log("not json");', print({ event: 'b', n: 2 }), print({ event: 'a', n: 3 }), 'process.stdin.resume();'].join('\n'),
    );
    expect(await c.nextEvent('b', 5000)).toEqual({ event: 'b', n: 2 });
    expect(await c.nextEvent('a', 5000)).toEqual({ event: 'a', n: 1 });
    expect(await c.nextEvent((e) => e.event === 'a', 5000)).toEqual({ event: 'a', n: 3 });
    expect(await c.eventWithin('a', 100)).toBeNull();
    expect(c.events.map((e) => e.n)).toEqual([1, 2, 3]);
    expect(c.strayLines).toEqual(['not json']);
  });

  it('times out with TIMEOUT naming the child, and answers commands sent on stdin', async () => {
    const c = child(
      `const rl = require('node:readline').createInterface({ input: process.stdin });
       rl.on('line', (l) => { const m = JSON.parse(l); process.stdout.write(JSON.stringify({ event: 'pong', n: m.n }) + '\\n'); });`,
      'pinger',
    );
    await expect(c.nextEvent('pong', 150)).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('pinger') });
    c.send({ cmd: 'ping', n: 41 });
    c.send({ cmd: 'ping', n: 42 });
    expect(await c.nextEvent((e) => e.n === 42, 5000)).toEqual({ event: 'pong', n: 42 });
    expect(await c.nextEvent('pong', 5000)).toEqual({ event: 'pong', n: 41 });
  });

  it('fails pending and later waits with CHILD_EXITED and the stderr tail when the child dies', async () => {
    const c = child(`${print({ event: 'early' })} console.error('something broke here'); setTimeout(() => process.exit(7), 50);`, 'crasher');
    await expect(c.nextEvent('never', 5000)).rejects.toMatchObject({
      code: 'CHILD_EXITED',
      message: expect.stringMatching(/crasher exited \(code 7[\s\S]*something broke here/),
    });
    // Events that did arrive are still returned after the exit.
    expect(await c.nextEvent('early', 10)).toEqual({ event: 'early' });
    await expect(c.eventWithin('never', 10)).rejects.toMatchObject({ code: 'CHILD_EXITED' });
    expect(() => c.send({ cmd: 'x' })).toThrow(/has exited/);
    expect(c.running).toBe(false);
  });

  it('stop() closes stdin first, then signals a child that ignores it', async () => {
    const polite = child(`process.stdin.resume(); process.stdin.on('end', () => process.exit(5));`);
    expect(await polite.stop(2000)).toEqual({ code: 5, signal: null });
    const stubborn = child(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); ${print({ event: 'ready' })}`);
    await stubborn.nextEvent('ready', 5000);
    expect(await stubborn.stop(150)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await stubborn.stop()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
