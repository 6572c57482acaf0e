/**
 * cmd/config.ts: precedence flags > WIREMESH_* > <dataDir>/config.json > defaults, typed values, one sentence per
 * problem naming its source, config file errors with line and column, and the yargs helper (help lists
 * defaults; the middleware gives every command the same argv.config).
 */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { DEFAULT_DIFFICULTY, Identity, formatNodeId, formatPublicKeys } from '../../src/identity/index.js';
import { closestName } from '../../cmd/closest-name.js';
import { ConfigError, resolveConfig, type ConfigInputs } from '../../cmd/config.js';
import { parseConfigText } from '../../cmd/config-file.js';
import { withConfigOptions, type ConfigArgs } from '../../cmd/config-options.js';
import { splitContactList } from '../../cmd/config-settings.js';
import { formatHostPort, parseHostPort } from '../../cmd/host-port.js';

const idA = Identity.fromSeed(new Uint8Array(32).fill(1));
const idB = Identity.fromSeed(new Uint8Array(32).fill(2));
const KEYS_A = formatPublicKeys(idA.edPublicKey, idA.xPublicKey);
const KEYS_B = formatPublicKeys(idB.edPublicKey, idB.xPublicKey);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'wm-cfg-'));
}

async function dataDirWith(config: unknown): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function problemsOf(inputs: ConfigInputs): Promise<string[]> {
  try {
    await resolveConfig(inputs);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('resolveConfig accepted the input');
}

describe('resolveConfig', () => {
  it('gives the embedded defaults when nothing is set', async () => {
    const cwd = await tempDir();
    const r = await resolveConfig({ env: {}, cwd });
    expect(r.config).toEqual({
      dataDir: join(cwd, '.wiremesh'),
      listen: { host: '0.0.0.0', port: 4242 },
      bootstrap: [],
      relay: false,
      difficulty: DEFAULT_DIFFICULTY,
      metrics: undefined,
      logLevel: 'info',
      json: false,
    });
    expect(new Set(Object.values(r.sources))).toEqual(new Set(['default']));
    expect(r.configFile).toBe(join(cwd, '.wiremesh', 'config.json'));
    expect(r.configFileFound).toBe(false);
    expect(r.warnings).toEqual([]);
  });

  it('takes each setting from flag, then environment, then file, then default', async () => {
    const dir = await dataDirWith({ listen: '10.0.0.1:1000', logLevel: 'debug', difficulty: 3, relay: true });
    const r = await resolveConfig({
      flags: { dataDir: dir, listen: '127.0.0.1:3000' },
      env: { WIREMESH_LISTEN: '127.0.0.1:2000', WIREMESH_LOG_LEVEL: 'warn' },
    });
    expect(r.config.listen).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(r.config.logLevel).toBe('warn');
    expect(r.config.difficulty).toBe(3);
    expect(r.config.relay).toBe(true);
    expect(r.config.json).toBe(false);
    expect(r.sources).toMatchObject({ dataDir: 'flag', listen: 'flag', logLevel: 'env', difficulty: 'file', relay: 'file', json: 'default' });
    expect(r.configFileFound).toBe(true);
  });

  it('finds the data directory (and so the config file) through WIREMESH_DATA_DIR, relative to cwd', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'state'));
    await writeFile(join(cwd, 'state', 'config.json'), '{"listen": "[::1]:7000"}');
    const r = await resolveConfig({ env: { WIREMESH_DATA_DIR: 'state' }, cwd });
    expect(r.config.dataDir).toBe(join(cwd, 'state'));
    expect(r.config.listen).toEqual({ host: '::1', port: 7000 });
    expect(r.sources.dataDir).toBe('env');
  });

  it('treats an empty environment variable and a JSON null as unset', async () => {
    const dir = await dataDirWith({ listen: null });
    const r = await resolveConfig({ flags: { dataDir: dir }, env: { WIREMESH_LOG_LEVEL: '  ' } });
    expect(r.config.logLevel).toBe('info');
    expect(r.config.listen).toEqual({ host: '0.0.0.0', port: 4242 });
    expect(r.sources.listen).toBe('default');
  });

  it('reads yes/no words from the environment and booleans from flags', async () => {
    const cwd = await tempDir();
    for (const [text, value] of [['1', true], ['YES', true], ['on', true], ['true', true], ['0', false], ['no', false], ['Off', false]] as const) {
      expect((await resolveConfig({ env: { WIREMESH_RELAY: text }, cwd })).config.relay).toBe(value);
    }
    expect((await resolveConfig({ flags: { relay: false, json: true }, env: { WIREMESH_RELAY: 'yes' }, cwd })).config).toMatchObject({
      relay: false,
      json: true,
    });
  });

  it('parses metrics addresses and lets a flag switch metrics off', async () => {
    const dir = await dataDirWith({ metrics: '127.0.0.1:9100' });
    expect((await resolveConfig({ flags: { dataDir: dir }, env: {} })).config.metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect((await resolveConfig({ flags: { dataDir: dir, metrics: 'off' }, env: {} })).config.metrics).toBeUndefined();
  });

  it('parses bootstrap contacts from every source, as lists', async () => {
    const a = `${KEYS_A}@127.0.0.1:4000`;
    const b = `${KEYS_B}@203.0.113.5:4242,[2001:db8::1]:4242`;
    const dir = await dataDirWith({ bootstrap: [a, b] });
    const fromFile = (await resolveConfig({ flags: { dataDir: dir }, env: {} })).config.bootstrap;
    expect(fromFile.map((c) => formatNodeId(c.nodeId))).toEqual([formatNodeId(idA.nodeId), formatNodeId(idB.nodeId)]);
    expect(fromFile[1]!.addresses).toEqual([
      { host: '203.0.113.5', port: 4242 },
      { host: '2001:db8::1', port: 4242 },
    ]);
    // WIREMESH_BOOTSTRAP is comma-separated; the commas inside b's address list stay with b.
    const fromEnv = (await resolveConfig({ flags: { dataDir: dir }, env: { WIREMESH_BOOTSTRAP: `${b},${a}` } })).config.bootstrap;
    expect(fromEnv.map((c) => c.addresses.length)).toEqual([2, 1]);
    expect(fromEnv[0]!.nodeId).toEqual(idB.nodeId);
    const fromFlags = (await resolveConfig({ flags: { dataDir: dir, bootstrap: [a] }, env: { WIREMESH_BOOTSTRAP: b } })).config.bootstrap;
    expect(fromFlags).toHaveLength(1);
    expect(fromFlags[0]!.nodeId).toEqual(idA.nodeId);
  });

  it('reports every problem at once, each naming its source and the fix', async () => {
    const dir = await dataDirWith({ difficulty: 99, relay: 'maybe', bootstrap: 7 });
    const problems = await problemsOf({
      flags: { dataDir: dir, listen: 'localhost:80' },
      env: { WIREMESH_LOG_LEVEL: 'verbose', WIREMESH_METRICS: '127.0.0.1:99999' },
    });
    expect(problems).toHaveLength(6);
    expect(problems[0]).toBe(
      "--listen is 'localhost:80', which is not an IP address and port: write it like 0.0.0.0:4242 (IPv6 as [::1]:4242)",
    );
    expect(problems).toContain(`"bootstrap" in ${join(dir, 'config.json')} is the value 7: write a list of contact strings, e.g. ["<keys>@203.0.113.5:4242"]`);
    expect(problems).toContain(`"relay" in ${join(dir, 'config.json')} is 'maybe', which is not yes or no: use true or false (or 1/0, yes/no, on/off)`);
    expect(problems).toContain(
      `"difficulty" in ${join(dir, 'config.json')} is '99', which is not a valid difficulty: use a whole number from 0 to 64 (each bit doubles the minting time)`,
    );
    expect(problems).toContain("WIREMESH_METRICS has port 99999, which is out of range: use 0-65535 (0 picks a free port)");
    expect(problems).toContain(
      "WIREMESH_LOG_LEVEL is 'verbose', which is not a log level: use one of trace, debug, info, warn, error, fatal, silent",
    );
    const error = (await resolveConfig({ flags: { dataDir: dir, listen: 'x' }, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    )) as ConfigError;
    expect(error.message.split('\n')[0]).toBe('4 configuration problems:');
  });

  it('names a flag given twice and a bootstrap list that does not start with a contact', async () => {
    const cwd = await tempDir();
    expect(await problemsOf({ flags: { listen: ['127.0.0.1:1', '127.0.0.1:2'] }, env: {}, cwd })).toEqual(['--listen was given 2 times: give it once']);
    expect(await problemsOf({ env: { WIREMESH_BOOTSTRAP: '127.0.0.1:4242' }, cwd })).toEqual([
      "WIREMESH_BOOTSTRAP starts with '127.0.0.1:4242', which is not a contact: write each contact as <keys>@host:port, as `wiremesh run` prints it",
    ]);
    const [bad] = await problemsOf({ flags: { bootstrap: [`${KEYS_A}@127.0.0.1`] }, env: {}, cwd });
    expect(bad).toMatch(/^--bootstrap: contact '.*' /);
  });

  it('lets a flag override a broken environment variable (only the winning value is parsed)', async () => {
    const cwd = await tempDir();
    const r = await resolveConfig({ flags: { listen: '127.0.0.1:5' }, env: { WIREMESH_LISTEN: 'garbage' }, cwd });
    expect(r.config.listen.port).toBe(5);
  });

  it('rejects unknown config file keys, naming the key, a suggestion and the valid keys', async () => {
    const dir = await dataDirWith({ 'log-level': 'debug', colour: true });
    const file = join(dir, 'config.json');
    expect(await problemsOf({ flags: { dataDir: dir }, env: {} })).toEqual([
      `config file ${file} has an unknown key "log-level" (did you mean "logLevel"?): valid keys are listen, bootstrap, relay, difficulty, metrics, logLevel, json`,
      `config file ${file} has an unknown key "colour": valid keys are listen, bootstrap, relay, difficulty, metrics, logLevel, json`,
    ]);
  });

  it('refuses a data directory set inside the config file it locates', async () => {
    const dir = await dataDirWith({ dataDir: '/elsewhere' });
    expect(await problemsOf({ flags: { dataDir: dir }, env: {} })).toEqual([
      `config file ${join(dir, 'config.json')} sets "dataDir", but the data directory cannot come from the file inside it: use --data-dir or WIREMESH_DATA_DIR`,
    ]);
  });

  it('points at the line and column of bad JSON', async () => {
    const dir = await dataDirWith('{\n  "listen": "127.0.0.1:1",\n  "relay": tru\n}\n');
    const file = join(dir, 'config.json');
    expect(await problemsOf({ flags: { dataDir: dir }, env: {} })).toEqual([
      `config file ${file} is not valid JSON at line 3, column 15 (Unexpected token '\\n'): fix it or remove the file`,
    ]);
    const cases: Array<[string, string]> = [
      ['{"a":}', 'line 1, column 6'],
      ['{"a": 1,}', 'line 1, column 9'],
      ['{\n"a": 1\n"b": 2}', 'line 3, column 1'],
      ['{"a": 1', 'line 1, column 8'],
      ['', 'line 1, column 1'],
      ["{'a': 1}", 'line 1, column 2'],
      ['{"a": 1} x', 'line 1, column 10'],
    ];
    for (const [text, where] of cases) {
      expect(() => parseConfigText(text, 'f.json')).toThrow(`config file f.json is not valid JSON at ${where} (`);
    }
    expect(parseConfigText('\ufeff{"relay": true}', 'f.json')).toEqual({ relay: true });
    expect(() => parseConfigText('[1]', 'f.json')).toThrow('config file f.json holds an array, not an object');
  });

  it('reports an unreadable or oversized config file and a data directory that is a file', async () => {
    const dir = await dataDirWith('{}');
    const file = join(dir, 'config.json');
    if (process.getuid?.() !== 0) {
      await chmod(file, 0o000);
      expect(await problemsOf({ flags: { dataDir: dir }, env: {} })).toEqual([
        `cannot read config file ${file} (permission denied): fix its permissions or run as its owner`,
      ]);
      await chmod(file, 0o600);
    }
    await writeFile(file, `{"listen": "${' '.repeat(70_000)}"}`);
    expect((await problemsOf({ flags: { dataDir: dir }, env: {} }))[0]).toMatch(/is larger than 64 KiB/);
    expect(await problemsOf({ flags: { dataDir: file }, env: {} })).toEqual([
      `cannot read config file ${join(file, 'config.json')}: a part of the data directory path is a file, not a directory; choose another --data-dir`,
    ]);
  });

  it('warns about unknown WIREMESH_ variables instead of failing', async () => {
    const cwd = await tempDir();
    const r = await resolveConfig({ env: { WIREMESH_LISTN: '1', WIREMESH_LISTEN: '127.0.0.1:9', OTHER: 'x' }, cwd });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^WIREMESH_LISTN is not a wiremesh setting and is ignored \(did you mean WIREMESH_LISTEN\?\); settings are WIREMESH_DATA_DIR, /);
  });
});

describe('helpers', () => {
  it('parseHostPort reads IPv4 and bracketed IPv6 and refuses names and bad ports', () => {
    expect(parseHostPort('0.0.0.0:0', '--listen', { allowPortZero: true })).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseHostPort('[::]:4242', '--listen')).toEqual({ host: '::', port: 4242 });
    expect(formatHostPort({ host: '::1', port: 5 })).toBe('[::1]:5');
    expect(formatHostPort({ host: '10.0.0.1', port: 5 })).toBe('10.0.0.1:5');
    for (const text of ['example.com:80', '::1:80', '1.2.3.4', '1.2.3.4:', '[1.2.3.4]:5', '1.2.3.4:123456']) {
      expect(() => parseHostPort(text, '--x')).toThrow(/^--x is '.*', which is not an IP address and port: write it like/);
    }
    expect(() => parseHostPort('1.2.3.4:0', '--x')).toThrow('--x has port 0, which is out of range: use 1-65535');
  });

  it('splitContactList keeps the addresses of one contact together', () => {
    expect(splitContactList([`k1@1.1.1.1:1,2.2.2.2:2, k2@3.3.3.3:3`, 'k3@4.4.4.4:4'], 'x')).toEqual([
      'k1@1.1.1.1:1,2.2.2.2:2',
      'k2@3.3.3.3:3',
      'k3@4.4.4.4:4',
    ]);
    expect(splitContactList(['  ', ''], 'x')).toEqual([]);
  });

  it('closestName ignores case and separators and stays within two edits', () => {
    const names = ['listen', 'logLevel', 'bootstrap'];
    expect(closestName('LOG_LEVEL', names)).toBe('logLevel');
    expect(closestName('bootstrp', names)).toBe('bootstrap');
    expect(closestName('lisen', names)).toBe('listen');
    expect(closestName('colour', names)).toBeUndefined();
  });
});

describe('withConfigOptions', () => {
  const KEYS = ['dataDir', 'listen', 'bootstrap', 'relay', 'difficulty', 'metrics', 'logLevel', 'json'] as const;

  async function parse(argv: string[], env: Record<string, string>, cwd: string): Promise<{ args?: ConfigArgs; output: string; error?: Error }> {
    let args: ConfigArgs | undefined;
    let output = '';
    const warnings: string[] = [];
    try {
      await yargs(argv)
        .scriptName('wiremesh')
        .command({
          command: 'run',
          describe: 'run a node',
          builder: (y) => withConfigOptions(y, KEYS, { env, cwd, onWarning: (w) => warnings.push(w) }),
          handler: (a) => {
            args = a as unknown as ConfigArgs;
          },
        })
        .strict()
        .exitProcess(false)
        .fail((msg, err) => {
          throw err ?? new Error(msg);
        })
        .parseAsync(argv, {}, (_err, _argv, out) => {
          output += out;
        });
    } catch (error) {
      return { output, error: error as Error };
    }
    return { args, output: output + warnings.join('\n') };
  }

  it('resolves argv.config with the same precedence for the command', async () => {
    const dir = await dataDirWith({ relay: true, logLevel: 'error' });
    const { args } = await parse(['run', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-json'], { WIREMESH_LOG_LEVEL: 'debug' }, dir);
    expect(args!.config).toMatchObject({ dataDir: dir, listen: { host: '127.0.0.1', port: 0 }, relay: true, logLevel: 'debug', json: false });
    expect(args!.configSources).toMatchObject({ listen: 'flag', relay: 'file', logLevel: 'env', json: 'flag', difficulty: 'default' });
  });

  it('lists every flag with its default, variable and config key in --help, even when the config is broken', async () => {
    const { output, error } = await parse(['run', '--help'], { WIREMESH_LISTEN: 'broken' }, await tempDir());
    expect(error).toBeUndefined();
    for (const expected of [
      '--data-dir',
      '[default: ./.wiremesh]',
      '[default: 0.0.0.0:4242]',
      `[default: ${DEFAULT_DIFFICULTY}]`,
      '[default: info]',
      '[default: off]',
      'WIREMESH_LISTEN',
      'config "logLevel"',
      'WIREMESH_BOOTSTRAP',
    ]) {
      expect(output.replace(/\s+/g, ' ')).toContain(expected);
    }
  });

  it('fails the command with the ConfigError before the handler runs', async () => {
    const { args, error } = await parse(['run', '--difficulty', 'lots'], {}, await tempDir());
    expect(args).toBeUndefined();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toBe(
      "--difficulty is 'lots', which is not a valid difficulty: use a whole number from 0 to 64 (each bit doubles the minting time)",
    );
  });
});
