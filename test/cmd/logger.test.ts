/**
 * cmd/logger.ts: JSON lines off a terminal or with --json, pino-pretty text on a terminal, levels, the
 * `component` convention, and that no secret can be logged: not through fields at any depth, child bindings,
 * format arguments, errors, maps or a real Identity (property tests plus the real seed and private key).
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/index.js';
import { componentLogger, createLogger, type CreateLoggerOptions } from '../../cmd/logger.js';
import { REDACTED, isSecretField, redactSecrets } from '../../cmd/secret-redaction.js';

function capture(options: Omit<CreateLoggerOptions, 'destination'> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ isTty: false, ...options, destination });
  return { logger, text: () => chunks.join(''), records: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Every way the bytes of a secret could appear in a log line. */
function renderings(secret: Uint8Array): string[] {
  const b = Buffer.from(secret);
  return [b.toString('hex'), b.toString('base64'), b.toString('base64url'), [...secret].join(','), `"0":${secret[0]},"1":${secret[1]}`];
}

describe('createLogger', () => {
  it('writes JSON lines with level, time, message and fields when stderr is not a terminal', () => {
    const { logger, records } = capture({ level: 'debug' });
    logger.debug({ peers: 3 }, 'joined');
    logger.trace('not shown at debug');
    const [record] = records();
    expect(records()).toHaveLength(1);
    expect(record).toMatchObject({ level: 20, msg: 'joined', peers: 3, pid: process.pid });
    expect(typeof record!.time).toBe('number');
  });

  it('writes human text on a terminal, and JSON there too with --json', () => {
    const tty = capture({ isTty: true });
    componentLogger(tty.logger, 'edges').info({ nodeId: 'bafy' }, 'edge up');
    const text = tty.text().replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d\d\d\] INFO: \[edges\] edge up\n {4}nodeId: "bafy"\n$/);
    const json = capture({ isTty: true, json: true });
    json.logger.info('plain');
    expect(json.records()[0]).toMatchObject({ msg: 'plain', level: 30 });
  });

  it('honours the level, and silent logs nothing', () => {
    const warn = capture({ level: 'warn' });
    warn.logger.info('no');
    warn.logger.warn('yes');
    expect(warn.records().map((r) => r.msg)).toEqual(['yes']);
    const silent = capture({ level: 'silent' });
    silent.logger.fatal('no');
    expect(silent.text()).toBe('');
  });

  it('tags every line of a component logger, through further children', () => {
    const { logger, records } = capture();
    const edges = componentLogger(logger, 'edges');
    edges.child({ peer: 'p1' }).info('dialing');
    expect(records()[0]).toMatchObject({ component: 'edges', peer: 'p1', msg: 'dialing' });
  });

  it('logs errors with type, message and stack', () => {
    const { logger, records } = capture();
    logger.error(Object.assign(new Error('bind failed'), { code: 'EADDRINUSE' }));
    logger.warn({ err: new TypeError('bad') }, 'wrapped');
    const [first, second] = records();
    expect(first).toMatchObject({ msg: 'bind failed', err: { type: 'Error', message: 'bind failed', code: 'EADDRINUSE' } });
    expect(String((first!.err as Record<string, unknown>).stack)).toContain('bind failed');
    expect(second).toMatchObject({ msg: 'wrapped', err: { type: 'TypeError', message: 'bad' } });
  });
});

describe('secrets', () => {
  it('recognises secret field names and keeps public ones', () => {
    for (const name of ['seed', 'SEED', 'edSeed', 'seed_hex', 'privateKey', 'private_key', 'xPrivateKey', 'secret', 'cookieSecret', 'password', 'passphrase', 'apiToken', 'sendKey', 'chainKey', 'staticKeys', 'key', 'credentials']) {
      expect(isSecretField(name), name).toBe(true);
    }
    for (const name of ['publicKey', 'edPublicKey', 'pubkey', 'nodeId', 'keyFile', 'peers', 'component', 'msg', 'rxBytes']) {
      expect(isSecretField(name), name).toBe(false);
    }
  });

  it('redacts by copying, and summarises bytes, cycles and deep nesting', () => {
    const input: Record<string, unknown> = { seed: 'abc', nested: { list: [{ token: 't' }], bytes: new Uint8Array(4) }, when: new Date(0) };
    input.self = input;
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(out).toEqual({
      seed: REDACTED,
      nested: { list: [{ token: REDACTED }], bytes: '[Uint8Array 4 bytes]' },
      when: '1970-01-01T00:00:00.000Z',
      self: '[circular]',
    });
    expect(input.seed).toBe('abc');
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(JSON.stringify(redactSecrets(deep))).toContain('[nested too deep]');
    expect(redactSecrets(new Map([['privateKey', 1], ['port', 2]]))).toEqual({ privateKey: REDACTED, port: 2 });
    const throwing = { get boom(): never { throw new Error('getter'); } };
    expect(redactSecrets({ ok: 1, inner: throwing })).toEqual({ ok: 1, inner: '[unreadable]' });
  });

  it('never writes a real identity’s seed or private key, whichever way it is logged', () => {
    const identity = Identity.generate();
    const { logger, text } = capture({ level: 'trace', base: { seed: identity.seed } });
    const tty = capture({ isTty: true, level: 'trace' });
    for (const log of [logger, tty.logger]) {
      log.info({ identity }, 'identity');
      log.info({ seed: identity.seed, key: { privateKey: identity.xPrivateKey, publicKey: identity.xPublicKey } }, 'keys');
      log.info(identity.seed);
      log.info('seed is %s and key %o and %j', identity.seed, { sk: identity.xPrivateKey }, identity.xPrivateKey);
      log.child({ seed: identity.seed, component: 'x' }).warn({ nested: [new Map([['x', identity.seed]])] }, 'child');
      log.error(Object.assign(new Error('oops'), { privateKey: identity.xPrivateKey, detail: { seed: identity.seed } }));
      log.setBindings({ secret: identity.seed });
      log.info('after setBindings');
    }
    for (const output of [text(), tty.text()]) {
      for (const secret of [identity.seed, identity.xPrivateKey]) {
        for (const form of renderings(secret)) expect(output).not.toContain(form);
      }
      expect(output).toContain('[redacted]');
      expect(output).toContain('[Uint8Array 32 bytes]');
    }
    identity.destroy();
  });

  it('never writes a value stored under a secret-looking name, at any depth or position (property)', () => {
    const MARK = 'S3CR3T-MARKER';
    const secretName = fc.constantFrom('seed', 'privateKey', 'x_private_key', 'SECRET', 'sendKey', 'password', 'apiToken', 'edSeedHex');
    const plainName = fc.constantFrom('a', 'peer', 'nodeId', 'publicKey', 'list', 'stats');
    // Trees of plain fields in which secret fields hold the marker (as text or as bytes).
    const secretValue = fc.constantFrom<unknown>(MARK, Buffer.from(MARK), { inner: MARK }, [MARK]);
    const tree: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.integer(),
        fc.string({ maxLength: 5 }),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(plainName, tie('node'), { maxKeys: 3 }),
        fc.tuple(secretName, secretValue, fc.dictionary(plainName, tie('node'), { maxKeys: 2 })).map(([k, v, rest]) => ({ ...rest, [k]: v })),
      ),
    })).node;
    fc.assert(
      fc.property(tree, secretName, fc.boolean(), (value, bindingName, pretty) => {
        const { logger, text } = capture({ isTty: pretty });
        logger.child({ [bindingName]: MARK }).info({ value }, 'record');
        logger.info('arg %o %j', value as object, value as object);
        expect(text()).not.toContain(MARK);
        expect(text()).not.toContain(Buffer.from(MARK).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });
});
