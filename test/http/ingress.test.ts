import t from 'tap'
import { checked, manualEmulator, nextEvent } from '../helpers/emulator.js'

t.test('sync call waits for the manual clock, then answers the output', async t => {
  const emu = await manualEmulator(t)
  const created = nextEvent(emu, 'created')
  const pending = emu.injectIngress({ method: 'POST', url: '/Greeter/greet', payload: '"Ada"', headers: { 'content-type': 'application/json' } })
  const inv = await created
  t.equal(emu.invocations.get(inv.id)?.status, 'running')
  emu.clock.advance('100ms')
  const res = await pending
  t.equal(res.statusCode, 200)
  t.equal(res.json(), 'Hello, Ada!')
  t.equal(res.headers['x-restate-id'], inv.id)
})

t.test('send answers 202 Accepted; delayed send adds executionTime; idempotent resend is PreviouslyAccepted', async t => {
  const emu = await manualEmulator(t)
  const send = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"x"' })
  t.equal(send.statusCode, 202)
  t.match(send.json(), { invocationId: /^inv_[0-9A-Za-z]{34}$/, status: 'Accepted' })
  t.notOk('executionTime' in send.json())

  for (const delay of ['10s', 'PT10S', '10000ms', '10000']) {
    const delayed = await emu.injectIngress({ method: 'POST', url: `/Greeter/greet/send?delay=${delay}`, payload: '"x"' })
    t.equal(delayed.statusCode, 202, delay)
    t.equal(delayed.json().executionTime, new Date(emu.clock.now() + 10_000).toISOString(), `executionTime for ${delay}`)
    t.equal(emu.invocations.get(delayed.json().invocationId)?.status, 'pending')
  }

  const headers = { 'idempotency-key': 'order-1' }
  const first = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"x"', headers })
  const again = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"x"', headers })
  t.equal(first.json().status, 'Accepted')
  t.same(again.json(), { invocationId: first.json().invocationId, status: 'PreviouslyAccepted' })
})

t.test('attach waits; output answers 470 before completion and the result after', async t => {
  const emu = await manualEmulator(t)
  const { invocationId } = (await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"Bo"' })).json()
  const early = await emu.injectIngress(`/restate/invocation/${invocationId}/output`)
  t.equal(early.statusCode, 470)
  t.same(early.json(), { code: 470, message: 'the invocation exists but has not completed yet', source: 'ingress' })
  const attach = emu.injectIngress(`/restate/invocation/${invocationId}/attach`)
  emu.clock.advance('100ms')
  const attached = await attach
  t.equal(attached.statusCode, 200)
  t.equal(attached.json(), 'Hello, Bo!')
  const output = await emu.injectIngress(`/restate/invocation/${invocationId}/output`)
  t.equal(output.statusCode, 200)
  t.equal(output.json(), 'Hello, Bo!')
})

t.test('a terminal error answers its code with source invocation', async t => {
  const emu = await manualEmulator(t)
  const created = nextEvent(emu, 'created')
  const call = emu.injectIngress({ method: 'POST', url: '/Flaky/terminal' })
  await created
  emu.clock.advance('10ms')
  const res = await call
  t.equal(res.statusCode, 422)
  t.same(res.json(), { code: 422, message: 'nope', source: 'invocation' })
  t.equal(res.headers['x-restate-error-source'], 'invocation')
})

t.test('cancel and kill: attach and output answer 409 with the failure', async t => {
  const emu = await manualEmulator(t)
  const one = (await emu.injectIngress({ method: 'POST', url: '/Flaky/sleepy/send' })).json().invocationId
  const two = (await emu.injectIngress({ method: 'POST', url: '/Flaky/sleepy/send' })).json().invocationId
  const attach = emu.injectIngress(`/restate/invocation/${one}/attach`)
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${one}/cancel` })).statusCode, 202)
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${two}/kill` })).statusCode, 200)
  const res = await attach
  t.equal(res.statusCode, 409)
  t.same(res.json(), { code: 409, message: 'Cancelled', source: 'invocation' })
  const out = await emu.injectIngress(`/restate/invocation/${two}/output`)
  t.same(out.json(), { code: 409, message: 'killed', source: 'invocation' })
  t.equal(out.headers['x-restate-error-source'], 'invocation')
})

t.test('virtual objects: key in the path, exclusive calls queue', async t => {
  const emu = await manualEmulator(t)
  const a = await emu.injectIngress({ method: 'POST', url: '/Counter/my%20key/add/send', payload: '1' })
  const b = await emu.injectIngress({ method: 'POST', url: '/Counter/my%20key/add/send', payload: '2' })
  t.equal(a.statusCode, 202)
  const recA = emu.invocations.get(a.json().invocationId)!
  t.match(recA, { target: 'Counter/my key/add', target_service_key: 'my key', status: 'running' })
  t.equal(emu.invocations.get(b.json().invocationId)?.status, 'pending')
  const created = nextEvent(emu, 'created')
  const sync = emu.injectIngress({ method: 'POST', url: '/Counter/other/add', payload: '7' })
  await created
  emu.clock.advance('1s')
  t.equal((await sync).json(), 7)
})

t.test('workflow run once per key: a second send is PreviouslyAccepted, a second call is 409', async t => {
  const emu = await manualEmulator(t)
  const one = await emu.injectIngress({ method: 'POST', url: '/Signup/u1/run/send' })
  const two = await emu.injectIngress({ method: 'POST', url: '/Signup/u1/run/send' })
  t.equal(two.json().invocationId, one.json().invocationId)
  t.equal(two.json().status, 'PreviouslyAccepted')
  const call = await emu.injectIngress({ method: 'POST', url: '/Signup/u1/run' })
  t.equal(call.statusCode, 409)
  t.same(call.json(), { code: 409, message: 'the workflow method was already invoked', source: 'invocation' })
  emu.clock.advance('2s')
  const after = await emu.injectIngress({ method: 'POST', url: '/Signup/u1/run' })
  t.equal(after.statusCode, 409, 'also after completion')
  const output = await emu.injectIngress('/restate/workflow/Signup/u1/output')
  t.same([output.statusCode, output.json()], [200, 'welcome u1'])
  const restart = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${one.json().invocationId}/restart-as-new` })
  t.equal(restart.statusCode, 422)
  t.match(restart.json().message, /Restarting workflows is not supported/)
})

t.test('health lists the services', async t => {
  const emu = await manualEmulator(t)
  const res = await emu.injectIngress('/restate/health')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { services: ['Greeter', 'Flaky', 'Counter', 'Limited', 'Signup'] })
})

t.test('every bad request gets Restate\'s error shape, never a 500', async t => {
  const emu = await manualEmulator(t, { bodyLimit: 1024 })
  const cases: Array<[string, Parameters<typeof emu.injectIngress>[0], number, RegExp, string]> = [
    ['unknown service', { method: 'POST', url: '/Nope/x' }, 404, /service 'Nope' not found, make sure to register the service before calling it\./, 'ingress'],
    ['unknown handler', { method: 'POST', url: '/Greeter/nope' }, 404, /the service 'Greeter' exists, but the handler 'nope' was not found/, 'ingress'],
    ['object without key', { method: 'POST', url: '/Counter/add' }, 400, /^bad path, expected either \/:service-name\/:handler or \/:object-name\/:object-key\/:handler$/, 'ingress'],
    ['too many segments', { method: 'POST', url: '/Greeter/greet/send/more' }, 400, /bad path/, 'ingress'],
    ['body not JSON', { method: 'POST', url: '/Greeter/greet', payload: '{nope', headers: { 'content-type': 'application/json' } }, 400, /^Failed to deserialize input: /, 'invocation'],
    ['bad delay', { method: 'POST', url: '/Greeter/greet/send?delay=abc' }, 400, /^bad delay query parameter, must be a ISO8601 duration: /, 'ingress'],
    ['malformed id', { method: 'GET', url: '/restate/invocation/inv_x/attach' }, 400, /^bad invocation id 'inv_x': unrecognized codec version$/, 'ingress'],
    ['id of a bad length', { method: 'GET', url: '/restate/invocation/inv_1abc/output' }, 400, /^bad invocation id 'inv_1abc': bad length$/, 'ingress'],
    ['unknown id (output)', { method: 'GET', url: '/restate/invocation/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/output' }, 404, /^invocation not found$/, 'ingress'],
    ['unknown id (attach)', { method: 'GET', url: '/restate/invocation/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/attach' }, 404, /^not found$/, 'invocation'],
    ['unknown workflow key', { method: 'GET', url: '/restate/workflow/Signup/nobody/output' }, 404, /^invocation not found$/, 'ingress'],
    ['oversized body', { method: 'POST', url: '/Greeter/greet', payload: JSON.stringify('x'.repeat(2000)) }, 413, /too large/i, 'ingress'],
    ['bad behaviour header', { method: 'POST', url: '/Greeter/greet', headers: { 'x-emulator-behavior': 'duration=soon' } }, 400, /x-emulator-behavior.*duration 'soon'/, 'ingress'],
    ['unknown route', { method: 'GET', url: '/nothing/here' }, 404, /no route/, 'ingress']
  ]
  for (const [name, request, status, message, source] of cases) {
    const res = await checked(emu.injectIngress, request as Parameters<typeof checked>[1])
    t.equal(res.statusCode, status, `${name}: status`)
    const body = res.json()
    t.equal(body.code, status, `${name}: code`)
    t.match(body.message, message, `${name}: message`)
    t.equal(body.source, source, `${name}: source`)
    t.equal(res.headers['x-restate-error-source'], source, `${name}: header`)
  }
})

t.test('nothing user-supplied reaches a prototype', async t => {
  const emu = await manualEmulator(t)
  const res = await emu.injectIngress({ method: 'POST', url: '/Counter/__proto__/add/send', payload: '{"__proto__":{"polluted":true}}' })
  t.equal(res.statusCode, 202)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  const created = nextEvent(emu, 'created')
  const echo = emu.injectIngress({ method: 'POST', url: '/Counter/constructor/add', payload: '{"__proto__":{"polluted":true}}' })
  await created
  emu.clock.advance('1s')
  t.equal((await echo).statusCode, 200)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})
