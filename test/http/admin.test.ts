import t from 'tap'
import { checked, manualEmulator, nextEvent } from '../helpers/emulator.js'
import type { EmulatorInstance } from '../../src/index.js'

async function send (emu: EmulatorInstance, url: string, payload = '""'): Promise<string> {
  const res = await emu.injectIngress({ method: 'POST', url, payload })
  return res.json().invocationId
}

t.test('health, version, services and deployments answer like Restate', async t => {
  const emu = await manualEmulator(t)
  const health = await emu.injectAdmin('/health')
  t.equal(health.statusCode, 200)
  t.equal(health.body, '')
  const version = (await emu.injectAdmin('/version')).json()
  t.match(version, { version: '1.7.12', min_admin_api_version: 2, max_admin_api_version: 4, ingress_endpoint: String })
  const services = (await emu.injectAdmin('/services')).json().services
  t.same(services.map((s: { name: string, ty: string }) => [s.name, s.ty]), [
    ['Greeter', 'Service'], ['Flaky', 'Service'], ['Counter', 'VirtualObject'], ['Limited', 'Service'], ['Signup', 'Workflow']
  ])
  const counter = (await emu.injectAdmin('/services/Counter')).json()
  t.same(counter.handlers.map((h: { name: string, ty: string }) => [h.name, h.ty]), [['add', 'Exclusive'], ['get', 'Shared']])
  t.match(counter, { deployment_id: /^dp_[0-9A-Za-z]{23}$/, revision: 1, public: true, idempotency_retention: '1d' })
  const greeter = (await emu.injectAdmin('/services/Greeter')).json()
  t.notOk('ty' in greeter.handlers[0], 'plain service handlers have no ty, as in Restate')
  const missing = await emu.injectAdmin('/services/Nope')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { message: "The requested service 'Nope' does not exist", restate_code: null })
  const deployments = (await emu.injectAdmin('/deployments')).json().deployments
  t.equal(deployments.length, 1)
  t.equal(deployments[0].id, counter.deployment_id)
  t.same(deployments[0].services.map((s: { name: string }) => s.name), ['Greeter', 'Flaky', 'Counter', 'Limited', 'Signup'])
})

t.test('GET /invocations lists newest first with every filter', async t => {
  const emu = await manualEmulator(t)
  const g1 = await send(emu, '/Greeter/greet/send')
  emu.clock.advance('1s')
  const c1 = await send(emu, '/Counter/a/add/send')
  const c2 = await send(emu, '/Counter/a/add/send')
  const c3 = await send(emu, '/Counter/b/add/send')
  emu.clock.advance('10ms')
  const f1 = await send(emu, '/Flaky/always/send')
  emu.clock.advance('10ms')
  const list = async (query: string): Promise<string[]> => {
    const res = await checked(emu.injectAdmin, { url: `/invocations${query}` })
    t.equal(res.statusCode, 200, query)
    return res.json().invocations.map((i: { id: string }) => i.id)
  }
  t.same(await list(''), [f1, c3, c2, c1, g1])
  t.same(await list('?status=completed'), [g1])
  t.same(await list('?status=running,pending'), [c3, c2, c1])
  t.same(await list('?status=backing-off'), [f1])
  t.same(await list('?service=Counter'), [c3, c2, c1])
  t.same(await list('?service=Counter&handler=add&key=a'), [c2, c1])
  t.same(await list('?handler=greet'), [g1])
  const dp = emu.invocations.get(c1)!.deployment_id
  t.same(await list(`?deployment_id=${dp}`), [f1, c3, c1, g1], 'only attempts that started pin a deployment')
  const t1 = new Date(emu.clock.now() - 20).toISOString()
  t.same(await list(`?created_after=${encodeURIComponent(new Date(Date.parse(t1) - 1).toISOString())}`), [f1, c3, c2, c1])
  t.same(await list(`?created_before=${encodeURIComponent(t1)}`), [g1])
  t.same(await list('?limit=2'), [f1, c3])
})

t.test('cursor pagination never skips or repeats under concurrent writes', async t => {
  const emu = await manualEmulator(t)
  const ids: string[] = []
  for (let i = 0; i < 25; i++) {
    ids.push(await send(emu, '/Greeter/greet/send'))
    if (i % 3 === 0) emu.clock.advance('1ms')
  }
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = cursor === null ? '?limit=4' : `?limit=4&cursor=${cursor}`
    const body = (await emu.injectAdmin(`/invocations${query}`)).json()
    seen.push(...body.invocations.map((i: { id: string }) => i.id))
    cursor = body.next_cursor
    pages++
    // Writes between pages: new invocations, completions (status changes), and a purge of one already served.
    await send(emu, '/Greeter/greet/send')
    emu.clock.advance('50ms')
    if (pages === 2) {
      emu.clock.advance('100ms')
      await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${seen[0]}/purge` })
    }
  } while (cursor !== null)
  t.same(seen, [...ids].reverse(), 'every invocation that existed at the start, once, in order')
  t.equal(pages, 7)
})

t.test('bad list filters get 400 naming the field', async t => {
  const emu = await manualEmulator(t)
  const cases: Array<[string, RegExp]> = [
    ['?status=nope', /status.*'nope'/],
    ['?limit=0', /limit/],
    ['?limit=5000', /limit/],
    ['?limit=abc', /limit/],
    ['?created_after=yesterday', /created_after/],
    ['?cursor=zzz', /cursor/],
    ['?colour=red', /colour|additional/]
  ]
  for (const [query, message] of cases) {
    const res = await emu.injectAdmin(`/invocations${query}`)
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { message, restate_code: null }, query)
  }
})

t.test('GET /invocations/{id}: the record, 400 when malformed, 404 when unknown', async t => {
  const emu = await manualEmulator(t)
  const id = await send(emu, '/Greeter/greet/send')
  const res = await checked(emu.injectAdmin, { url: `/invocations/${id}` })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id, target: 'Greeter/greet', status: 'running', target_service_key: null, retry_count: 0 })
  t.notOk('deployment_id' in (await checked(emu.injectAdmin, { url: `/invocations/${await send(emu, '/Greeter/greet/send?delay=1s')}` })).json(), 'no deployment before an attempt')
  const bad = await emu.injectAdmin('/invocations/inv_123')
  t.equal(bad.statusCode, 400)
  t.same(bad.json(), { message: "The request field 'invocation_id' is invalid. Reason: bad length", restate_code: null })
  const unknown = await emu.injectAdmin('/invocations/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
  t.equal(unknown.statusCode, 404)
  t.same(unknown.json(), { message: "The requested invocation 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' does not exist", restate_code: null })
})

t.test('management endpoints: codes and bodies as the reference table says, also under /v1…/v4', async t => {
  const emu = await manualEmulator(t)
  const running = await send(emu, '/Greeter/greet/send')
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/v4/invocations/${running}/cancel` })).statusCode, 202)
  const again = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${running}/cancel` })
  t.equal(again.statusCode, 409)
  t.same(again.json(), { message: `The invocation '${running}' was already completed.`, restate_code: null })

  const live = await send(emu, '/Flaky/sleepy/send')
  const purgeLive = await emu.injectAdmin({ method: 'PATCH', url: `/v2/invocations/${live}/purge` })
  t.equal(purgeLive.statusCode, 409)
  t.same(purgeLive.json(), { message: `The invocation '${live}' is not yet completed.`, restate_code: null })
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/pause` })).statusCode, 202)
  t.match(emu.invocations.get(live), { status: 'suspended', paused: true })
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/pause` })).statusCode, 200, 'already paused: 200')
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/v3/invocations/${live}/resume` })).statusCode, 200)
  t.equal(emu.invocations.get(live)?.status, 'running')
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/v1/invocations/${live}/kill` })).statusCode, 200)
  t.match(emu.invocations.get(live), { status: 'completed', completion_failure: '[409] killed' })
  const pauseDone = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/pause` })
  t.same([pauseDone.statusCode, pauseDone.json().message], [409, `The invocation '${live}' is not running, cannot be paused.`])
  const resumeDone = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/resume` })
  t.same([resumeDone.statusCode, resumeDone.json().message], [409, `The invocation '${live}' is completed, cannot be resumed.`])
  const restarted = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/restart-as-new` })
  t.equal(restarted.statusCode, 200)
  t.match(restarted.json(), { new_invocation_id: /^inv_/ })
  t.equal(restarted.json().new_invocation_id.slice(0, 18), live.slice(0, 18))
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${live}/purge` })).statusCode, 200)
  t.equal((await emu.injectAdmin(`/invocations/${live}`)).statusCode, 404)

  const delayed = await send(emu, '/Greeter/greet/send?delay=1h')
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${delayed}/cancel` })).statusCode, 200)
  t.equal(emu.invocations.get(delayed), undefined, 'a delayed invocation cancelled before it starts is gone')

  for (const [mode, expected] of [['Cancel', '[409] Cancelled'], ['Kill', '[409] killed']]) {
    const id = await send(emu, '/Flaky/sleepy/send')
    t.equal((await emu.injectAdmin({ method: 'DELETE', url: `/invocations/${id}?mode=${mode}` })).statusCode, 202, mode)
    t.equal(emu.invocations.get(id)?.completion_failure, expected)
    t.equal((await emu.injectAdmin({ method: 'DELETE', url: `/invocations/${id}?mode=Purge` })).statusCode, 202)
    t.equal(emu.invocations.get(id), undefined)
  }
  const badMode = await emu.injectAdmin({ method: 'DELETE', url: `/invocations/${running}?mode=Explode` })
  t.equal(badMode.statusCode, 400)
  t.match(badMode.json().message, /mode/)
})

t.test('a sync call waiting on the clock is answered 503 when the emulator closes', async t => {
  const emu = await manualEmulator(t)
  const created = nextEvent(emu, 'created')
  const call = emu.injectIngress({ method: 'POST', url: '/Flaky/sleepy' })
  await created
  await emu.close()
  const res = await call
  t.equal(res.statusCode, 503)
  t.match(res.json(), { code: 503, message: /shutting down/ })
})

t.test('admin bodies: empty JSON is no body; bad JSON is a 400 naming the problem', async t => {
  const emu = await manualEmulator(t)
  const id = await send(emu, '/Flaky/sleepy/send')
  const empty = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${id}/pause`, headers: { 'content-type': 'application/json' }, payload: '' })
  t.equal(empty.statusCode, 202)
  const bad = await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', headers: { 'content-type': 'application/json' }, payload: '{"effect":' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { message: /body is not valid JSON/, restate_code: null })
})

t.test('the OpenAPI document lists every route with its tag, and Swagger UI serves it', async t => {
  const emu = await manualEmulator(t)
  const res = await emu.injectAdmin('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc, { openapi: /^3\./, info: { title: 'restate-emulator admin API' } })
  const operations = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, tags: op.tags ?? [] })))
  for (const path of ['/invocations', '/invocations/{id}/cancel', '/services', '/_emulator/clock/advance', '/_emulator/faults', '/_emulator/events', '/_emulator/snapshot']) {
    t.ok(operations.some(o => o.path === path), `${path} is documented`)
  }
  const control = operations.filter(o => o.path.startsWith('/_emulator'))
  t.ok(control.length >= 15)
  t.same(control.filter(o => !o.tags.includes('emulator')).map(o => `${o.method} ${o.path}`), [], 'every control route is tagged emulator')
  t.same(operations.filter(o => /^\/v\d\//.test(o.path)), [], 'versioned aliases are not listed twice')
  const ui = await emu.injectAdmin('/docs/')
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
})
