import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { ConfigError, resolveOptions } from '../src/config.js'
import type { Invocation } from '../src/index.js'
import { validateFixture } from '../src/fixture.js'
import { fixtureSchemaText, FIXTURE_SCHEMA_PATH } from '../scripts/fixture-schema.js'
import { checked, manualEmulator } from './helpers/emulator.js'
import { assertInvocation } from './helpers/schema.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FIXTURES = join(ROOT, 'fixtures')
const fixtureFiles = readdirSync(FIXTURES).filter(f => f.endsWith('.json') && f !== 'fixture.schema.json').sort()

const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv
const ajv = new Ajv({ allErrors: true, strict: true })
addFormats(ajv)
const committedSchema = JSON.parse(readFileSync(FIXTURE_SCHEMA_PATH, 'utf8')) as Record<string, unknown>
const validate = ajv.compile(committedSchema)

const readJson = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'))

t.test('the committed fixture.schema.json is the one generated from the TypeBox source', async t => {
  t.equal(readFileSync(FIXTURE_SCHEMA_PATH, 'utf8'), fixtureSchemaText(), 'run `npm run fixture-schema` after changing src/core/behavior.ts')
})

t.test('GET /_emulator/fixture/schema serves the committed schema', async t => {
  const emu = await manualEmulator(t)
  const res = await emu.injectAdmin({ method: 'GET', url: '/_emulator/fixture/schema' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  t.same(res.json(), committedSchema)
  t.equal(`${JSON.stringify(res.json(), null, 2)}\n`, readFileSync(FIXTURE_SCHEMA_PATH, 'utf8'))
})

t.test('there are the default and at least two example fixtures', async t => {
  for (const name of ['default.json', 'payment-flow.json', 'order-workflow.json']) t.ok(fixtureFiles.includes(name), name)
})

for (const file of fixtureFiles) {
  t.test(`${file} is valid against the JSON Schema and loads in the emulator`, async t => {
    const fixture = readJson(file)
    t.ok(validate(fixture), ajv.errorsText(validate.errors))
    t.doesNotThrow(() => validateFixture(fixture))
    const emu = await manualEmulator(t, { fixture: join(FIXTURES, file) })
    const res = await checked(o => emu.injectAdmin(o), { method: 'GET', url: '/invocations?limit=1000' })
    t.equal(res.statusCode, 200)
    const seeds = (fixture as { invocations?: Invocation[] }).invocations ?? []
    const listed = res.json().invocations as Invocation[]
    t.equal(listed.length, seeds.length, 'every seed invocation is listed')
    for (const seed of seeds) {
      assertInvocation(seed)
      t.same(listed.find(i => i.id === seed.id), seed, `seed ${seed.id} is served as given`)
    }
    const health = await emu.injectIngress({ method: 'GET', url: '/restate/health' })
    t.same(health.json().services, (fixture as { services: Array<{ name: string }> }).services.map(s => s.name))
  })
}

t.test('the JSON Schema and the emulator agree on what a bad fixture is', async t => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown top-level field', { services: [], extra: 1 }, /fixture/],
    ['handler duration not a duration', { services: [{ name: 'S', handlers: { h: { duration: true } } }] }, /fixture\/services\/0\/handlers\/h\/duration/],
    ['probability above 1', { services: [{ name: 'S', handlers: { h: { transient: { probability: 1.5 } } } }] }, /fixture\/services\/0\/handlers\/h\/transient\/probability/],
    ['code out of range', { services: [{ name: 'S', handlers: { h: { terminal: { code: 200 } } } }] }, /fixture\/services\/0\/handlers\/h\/terminal\/code/],
    ['bad onMaxAttempts', { services: [{ name: 'S', handlers: { h: { retryPolicy: { onMaxAttempts: 'retry' } } } }] }, /fixture\/services\/0\/handlers\/h\/retryPolicy\/onMaxAttempts/],
    ['bad service type', { services: [{ name: 'S', type: 'actor', handlers: {} }] }, /fixture\/services\/0\/type/],
    ['zero concurrency', { services: [{ name: 'S', concurrency: 0, handlers: {} }] }, /fixture\/services\/0\/concurrency/],
    ['traffic without rate', { services: [], traffic: { mix: [] } }, /fixture\/traffic/]
  ]
  for (const [name, fixture, message] of cases) {
    t.notOk(validate(fixture), `${name}: JSON Schema refuses`)
    t.throws(() => validateFixture(fixture), { message }, `${name}: emulator refuses naming the field`)
  }
})

t.test('semantic fixture errors name the JSON path', async t => {
  const cases: Array<[string, unknown, string]> = [
    ['duplicate service', { services: [{ name: 'S', handlers: {} }, { name: 'S', handlers: {} }] }, 'fixture/services/1/name'],
    ['unparseable duration', { services: [{ name: 'S', handlers: { h: { duration: '5 parsecs' } } }] }, 'fixture/services/0/handlers/h/duration'],
    ['uniform min above max', { services: [{ name: 'S', handlers: { h: { duration: { uniform: { min: '2s', max: '1s' } } } } }] }, 'fixture/services/0/handlers/h/duration'],
    ['lognormal p99 below median', { services: [{ name: 'S', handlers: { h: { duration: { lognormal: { median: '2s', p99: '1s' } } } } }] }, 'fixture/services/0/handlers/h/duration'],
    ['suspend duration', { services: [{ name: 'S', handlers: { h: { suspend: { duration: 'soon' } } } }] }, 'fixture/services/0/handlers/h/suspend/duration'],
    ['workflow without run', { services: [{ name: 'W', type: 'workflow', handlers: { go: { kind: 'shared' } } }] }, 'fixture/services/0/handlers'],
    ['kind on a plain service', { services: [{ name: 'S', handlers: { h: { kind: 'shared' } } }] }, 'fixture/services/0/handlers/h/kind'],
    ['retry interval', { services: [{ name: 'S', retryPolicy: { initialInterval: 'later' }, handlers: {} }] }, 'fixture/services/0/retryPolicy/initialInterval'],
    ['traffic to an unknown target', { services: [{ name: 'S', handlers: { h: {} } }], traffic: { rate: 1, mix: [{ target: 'S/nope' }] } }, 'fixture/traffic/mix/0/target']
  ]
  for (const [name, fixture, path] of cases) {
    t.throws(() => validateFixture(fixture), { message: new RegExp(`^${path}: `) }, name)
  }
})

t.test('seed invocations that break the seed schema are refused with the reason', async t => {
  const service = { name: 'Greeter', handlers: { greet: {} } }
  const good = {
    id: 'inv_1eIdzgfAshpjKnBZECmsq6TjMHMurPQoA9',
    target: 'Greeter/greet',
    target_service_name: 'Greeter',
    target_handler_name: 'greet',
    status: 'completed',
    created_at: '2025-12-31T22:10:04.120Z',
    completed_at: '2025-12-31T22:10:05.031Z',
    completion_result: 'success'
  }
  const cases: Array<[string, unknown, RegExp]> = [
    ['status not one of the six', { ...good, status: 'paused' }, /fixture\/invocations\/0\/status/],
    ['retry_count negative', { ...good, retry_count: -1 }, /fixture\/invocations\/0\/retry_count/],
    ['created_at not a date-time', { ...good, created_at: 'yesterday' }, /fixture\/invocations\/0\/created_at/],
    ['no target', { ...good, target: undefined }, /fixture\/invocations\/0/],
    ['deployment_id null', { ...good, deployment_id: null }, /fixture\/invocations\/0\/deployment_id/]
  ]
  for (const [name, record, message] of cases) {
    const fixture = { services: [service], invocations: [JSON.parse(JSON.stringify(record))] }
    t.throws(() => validateFixture(fixture), { message }, name)
  }
  // Checked before the engine starts, so the CLI reports them as configuration errors.
  const badId = { services: [service], invocations: [{ ...good, id: 'inv_short' }] }
  t.throws(() => resolveOptions({ options: { fixture: badId as never }, defaults: 'library' }), {
    name: 'ConfigError',
    message: /fixture\/invocations\/0\/id: 'inv_short' is not an invocation id/
  })
  const duplicate = { services: [service], invocations: [good, good] }
  t.throws(() => resolveOptions({ options: { fixture: duplicate as never }, defaults: 'library' }), {
    name: 'ConfigError',
    message: /fixture\/invocations\/1\/id: duplicate invocation id/
  })
})

t.test('a bad fixture file stops start-up naming the JSON path of the bad field', async t => {
  const dir = t.testdir({
    'bad.json': JSON.stringify({ services: [{ name: 'Pay', handlers: { charge: { transient: { probability: 2 } } } }] }),
    'broken.json': '{ "services": ['
  })
  t.throws(() => resolveOptions({ argv: ['--fixture', join(dir, 'bad.json')], env: {}, defaults: 'cli' }), new ConfigError('--fixture', 'x').constructor)
  t.throws(() => resolveOptions({ argv: ['--fixture', join(dir, 'bad.json')], env: {}, defaults: 'cli' }), {
    field: '--fixture',
    message: /^--fixture: fixture\/services\/0\/handlers\/charge\/transient\/probability: /
  })
  t.throws(() => resolveOptions({ env: { RESTATE_EMULATOR_FIXTURE: join(dir, 'bad.json') }, defaults: 'cli' }), {
    field: 'RESTATE_EMULATOR_FIXTURE',
    message: /transient\/probability/
  })
  t.throws(() => resolveOptions({ argv: ['--fixture', join(dir, 'broken.json')], env: {}, defaults: 'cli' }), { message: /is not JSON/ })

  // The real CLI, run from source through tap's TypeScript loader: message on stderr, exit code 2.
  const run = spawnSync(process.execPath, ['--import', '@tapjs/typescript/import', join(ROOT, 'src/cli.ts'), '--fixture', join(dir, 'bad.json')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, RESTATE_EMULATOR_INGRESS_PORT: '0', RESTATE_EMULATOR_ADMIN_PORT: '0' },
    timeout: 30_000
  })
  t.equal(run.status, 2, `exit code (stderr: ${run.stderr})`)
  t.match(run.stderr, /configuration error: --fixture: fixture\/services\/0\/handlers\/charge\/transient\/probability: /)
  t.equal(run.stdout, '', 'nothing was started')
})

t.test('payment-flow: a flaky provider is retried per policy, declines are terminal', async t => {
  const emu = await manualEmulator(t, { fixture: join(FIXTURES, 'payment-flow.json'), seed: 7 })
  const ids: string[] = []
  for (let i = 0; i < 300; i++) {
    const res = await emu.injectIngress({ method: 'POST', url: '/CardProvider/authorize/send', payload: { amount: 1000 + i, currency: 'EUR' } })
    t.equal(res.statusCode, 202)
    ids.push(res.json().invocationId)
  }
  // Concurrency 8: the rest wait `ready`.
  t.equal(emu.invocations.list({ status: 'running', service: 'CardProvider' }).length, 8)
  t.equal(emu.invocations.list({ status: 'ready', service: 'CardProvider' }).length, 292)
  emu.clock.runUntilIdle()
  const done = ids.map(id => emu.invocations.get(id) as Invocation)
  for (const r of done) assertInvocation(r)
  t.ok(done.every(r => r.status === 'completed'), 'every authorization ends (onMaxAttempts kill)')
  const byResult = new Map<string, number>()
  for (const r of done) {
    const key = r.completion_result === 'success' ? 'success' : r.completion_failure as string
    byResult.set(key, (byResult.get(key) ?? 0) + 1)
  }
  t.ok((byResult.get('success') ?? 0) > 150, `mostly authorized: ${JSON.stringify([...byResult])}`)
  t.ok((byResult.get('[402] card declined: do_not_honor') ?? 0) > 5, 'some declined')
  const retried = done.filter(r => (r.retry_count ?? 0) > 0)
  t.ok(retried.length > 50, `many were retried (${retried.length})`)
  t.ok(done.every(r => (r.retry_count ?? 0) <= 5), 'at most maxAttempts - 1 retries')

  // A provider outage for one card: six attempts, 0.5s 1s 2s 4s 8s apart (capped), then killed.
  const outage = await emu.injectIngress({
    method: 'POST',
    url: '/CardProvider/authorize/send',
    headers: { 'x-emulator-behavior': 'fail-attempts=100; duration=0' },
    payload: { amount: 1, currency: 'EUR' }
  })
  const outageId = outage.json().invocationId as string
  const retries: number[] = []
  const off = emu.core.engine.on(e => {
    if (e.invocation.id === outageId && e.type === 'transition' && e.to === 'backing-off') {
      retries.push(Date.parse(e.invocation.next_retry_at as string) - emu.clock.now())
    }
  })
  emu.clock.runUntilIdle()
  off()
  t.same(retries, [500, 1000, 2000, 4000, 8000])
  t.match(emu.invocations.get(outageId), { status: 'completed', retry_count: 5, completion_failure: '[503] acquirer timed out' })
  const successes = await emu.injectIngress({ method: 'GET', url: `/restate/invocation/${done.find(r => r.completion_result === 'success')?.id}/output` })
  t.match(successes.json(), { authorization: /^auth_inv_/, currency: 'EUR', amount: Number }, 'a JSON output, not a string of JSON')

  // The merchant webhook gives up by pausing, and the seeded paused delivery waits for resume.
  const paused = emu.invocations.get('inv_1eug8ZDfRJgMNFK7XyhWpnJTT8tL0bO687') as Invocation
  t.match(paused, { status: 'suspended', paused: true, retry_count: 4 })
})

t.test('order-workflow: long suspensions, one order at a time per customer, delayed reminders', async t => {
  // Orders take days; keep completed ones long enough to inspect them.
  const emu = await manualEmulator(t, { fixture: join(FIXTURES, 'order-workflow.json'), seed: 3, retention: '30d' })
  const start = emu.clock.now()
  const runs: string[] = []
  for (let i = 0; i < 40; i++) {
    const res = await emu.injectIngress({ method: 'POST', url: `/OrderWorkflow/order-${3000 + i}/run/send` })
    runs.push(res.json().invocationId)
  }
  const orders: string[] = []
  for (let i = 0; i < 3; i++) {
    const res = await checked(o => emu.injectIngress(o), { method: 'POST', url: '/CustomerAccount/cust-7/placeOrder/send', payload: { orderId: `order-${i}` } })
    orders.push(res.json().invocationId)
  }
  t.same(orders.map(id => emu.invocations.get(id)?.status), ['running', 'pending', 'pending'], 'later orders of the customer wait in its inbox')
  const reminder = await emu.injectIngress({ method: 'POST', url: '/Reminders/sendReminder/send?delay=1d', payload: { customer: 'cust-7', orderId: 'order-0' } })
  t.match(reminder.json(), { status: 'Accepted', executionTime: '2026-01-02T00:00:00.000Z' })

  emu.clock.advance('1h')
  const suspended = runs.filter(id => emu.invocations.get(id)?.status === 'suspended')
  t.ok(suspended.length > 15, `most order workflows are suspended after an hour (${suspended.length}/40)`)
  t.same(orders.map(id => emu.invocations.get(id)?.status), ['completed', 'completed', 'completed'])
  const done = orders.map(id => emu.invocations.get(id) as Invocation)
  t.ok(Date.parse(done[1].running_at as string) >= Date.parse(done[0].completed_at as string), 'second order ran after the first')
  t.equal(emu.invocations.get(reminder.json().invocationId)?.status, 'pending')

  emu.clock.runUntilIdle()
  t.ok(runs.every(id => emu.invocations.get(id)?.status === 'completed'), 'every workflow finishes eventually')
  const reminderDone = emu.invocations.get(reminder.json().invocationId) as Invocation
  t.match(reminderDone, { status: 'completed', completion_result: 'success', retry_count: 1 })
  t.ok(Date.parse(reminderDone.running_at as string) >= start + 86_400_000, 'the reminder started after its delay')
  const output = await emu.injectIngress({ method: 'GET', url: `/restate/invocation/${reminderDone.id}/output` })
  t.equal(output.json(), 'reminder sent to cust-7 about order-0')
  const longest = Math.max(...runs.map(id => {
    const r = emu.invocations.get(id) as Invocation
    return Date.parse(r.completed_at as string) - Date.parse(r.created_at as string)
  }))
  t.ok(longest > 3 * 3_600_000, `some orders took hours (${Math.round(longest / 3_600_000)}h)`)
})

t.test('a fixture written to disk by a test loads the same as an object', async t => {
  const fixture = { services: [{ name: 'Greeter', handlers: { greet: {} } }] }
  const dir = t.testdir({})
  writeFileSync(join(dir, 'min.json'), JSON.stringify(fixture))
  const fromFile = resolveOptions({ options: { fixture: join(dir, 'min.json') }, defaults: 'library' })
  const fromObject = resolveOptions({ options: { fixture }, defaults: 'library' })
  t.same(fromFile.fixture, fromObject.fixture)
  t.ok(validate(fixture), 'the minimal fixture of DESIGN.md is valid')
})
