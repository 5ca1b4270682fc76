import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, resolveOptions } from '../src/config.js'

const env = (vars: Record<string, string>) => vars

t.test('defaults: CLI on Restate\'s ports, library on random ports', async t => {
  const cli = resolveOptions({ argv: [], env: {}, defaults: 'cli' })
  t.match(cli, { ingressPort: 8080, adminPort: 9070, host: '127.0.0.1', clock: 'real', speed: 1, logLevel: 'info', retentionMs: 86_400_000, corsOrigins: ['*'] })
  t.equal(cli.fixtureSource, 'built-in default fixture')
  t.ok(cli.fixture.services.length >= 5)
  const lib = resolveOptions({ options: {}, defaults: 'library' })
  t.match(lib, { ingressPort: 0, adminPort: 0, logLevel: 'silent' })
})

t.test('flags > env > config file > defaults', async t => {
  const dir = t.testdir({ 'config.json': JSON.stringify({ ingressPort: 1111, adminPort: 2222, seed: 3, host: '0.0.0.0' }) })
  const config = join(dir, 'config.json')
  const r = resolveOptions({
    argv: ['--config', config, '--ingress-port', '3333', '--clock', 'manual'],
    env: env({ RESTATE_EMULATOR_ADMIN_PORT: '4444', RESTATE_EMULATOR_INGRESS_PORT: '5555', RESTATE_EMULATOR_SPEED: '10' }),
    defaults: 'cli'
  })
  t.match(r, { ingressPort: 3333, adminPort: 4444, seed: 3, host: '0.0.0.0', clock: 'manual', speed: 10 })
  const viaEnv = resolveOptions({ argv: [], env: env({ RESTATE_EMULATOR_CONFIG: config, RESTATE_EMULATOR_SEED: '9' }), defaults: 'cli' })
  t.match(viaEnv, { ingressPort: 1111, seed: 9 })
})

t.test('durations, traffic, cors and token options', async t => {
  const r = resolveOptions({
    argv: ['--retention', '2h', '--traffic', '12.5', '--cors-origins', 'http://a.test, http://b.test', '--admin-token', 's3cret', '--start-time', '2030-01-01T00:00:00Z'],
    env: {},
    defaults: 'cli'
  })
  t.match(r, { retentionMs: 7_200_000, traffic: 12.5, corsOrigins: ['http://a.test', 'http://b.test'], adminToken: 's3cret', startTime: Date.parse('2030-01-01T00:00:00Z') })
  t.equal(resolveOptions({ argv: ['--traffic', 'on'], env: {}, defaults: 'cli' }).traffic, true)
  t.same(resolveOptions({ argv: ['--cors-origins', ''], env: {}, defaults: 'cli' }).corsOrigins, [])
})

t.test('every bad value names its field', async t => {
  const dir = t.testdir({
    'bad-fixture.json': JSON.stringify({ services: [{ name: 'A', handlers: { h: { duration: { uniform: { min: '1s' } } } } }] }),
    'not-json.json': '{',
    'bad-config.json': JSON.stringify({ ingressPort: 'x' }),
    'unknown-config.json': JSON.stringify({ colour: 'red' })
  })
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--ingress-port', 'abc'], {}, /^--ingress-port: "abc" is not a whole number/],
    [['--admin-port', '70000'], {}, /^--admin-port: "70000" is not a port number/],
    [[], { RESTATE_EMULATOR_ADMIN_PORT: '-1' }, /^RESTATE_EMULATOR_ADMIN_PORT: /],
    [['--clock', 'fast'], {}, /^--clock: "fast" must be real or manual/],
    [['--speed', '0'], {}, /^--speed: /],
    [['--seed', '1.5'], {}, /^--seed: /],
    [['--log-level', 'loud'], {}, /^--log-level: /],
    [['--retention', 'forever'], {}, /^--retention: "forever" is not a duration/],
    [['--traffic', 'lots'], {}, /^--traffic: /],
    [['--start-time', 'noon'], {}, /^--start-time: /],
    [['--max-invocations', '0'], {}, /^--max-invocations: /],
    [['--bogus'], {}, /^--bogus: .*Unknown option/],
    [['--fixture', join(dir, 'bad-fixture.json')], {}, /^--fixture: fixture\/services\/0\/handlers\/h\/duration/],
    [['--fixture', join(dir, 'not-json.json')], {}, /^--fixture: .*is not JSON/],
    [['--fixture', join(dir, 'missing.json')], {}, /^--fixture: .*cannot read/],
    [[], { RESTATE_EMULATOR_FIXTURE: join(dir, 'missing.json') }, /^RESTATE_EMULATOR_FIXTURE: /],
    [['--config', join(dir, 'bad-config.json')], {}, /bad-config\.json: ingressPort: "x" is not a whole number/],
    [['--config', join(dir, 'unknown-config.json')], {}, /unknown-config\.json: colour: unknown option/],
    [['--config', join(dir, 'none.json')], {}, /^--config: cannot read/]
  ]
  for (const [argv, vars, message] of cases) {
    try {
      resolveOptions({ argv, env: vars, defaults: 'cli' })
      t.fail(`${argv.join(' ')} ${JSON.stringify(vars)} should be refused`)
    } catch (err) {
      t.ok(err instanceof ConfigError, argv.join(' '))
      t.match((err as Error).message, message)
    }
  }
})

t.test('library options are checked too', async t => {
  t.throws(() => resolveOptions({ options: { ingressPort: -5 }, defaults: 'library' }), /options\.ingressPort/)
  t.throws(() => resolveOptions({ options: { colour: 'red' } as never, defaults: 'library' }), /options\.colour: unknown option/)
  t.throws(() => resolveOptions({ options: { fixture: { services: [{ name: 'W', type: 'workflow', handlers: { a: { kind: 'shared' } } }] } }, defaults: 'library' }), /fixture\/services\/0\/handlers: a workflow needs exactly one handler of kind 'workflow'/)
})

t.test('a fixture file relative path works', async t => {
  const dir = t.testdir({ 'f.json': JSON.stringify({ services: [{ name: 'Greeter', handlers: { greet: {} } }] }) })
  writeFileSync(join(dir, 'g.json'), JSON.stringify({ services: [{ name: 'G', handlers: { g: {} } }] }))
  const r = resolveOptions({ argv: ['--fixture', join(dir, 'f.json')], env: {}, defaults: 'cli' })
  t.same(r.fixture, { services: [{ name: 'Greeter', handlers: { greet: {} } }] })
})
