// Testing an app's Restate calls with tap, against an in-process emulator on a manual clock.
import './node20-polyfill.js'
import t from 'tap'
import * as clients from '@restatedev/restate-sdk-clients'
import { startEmulator, type Emulator } from 'restate-emulator'

// The handlers the app calls. With the service's own module at hand, use `typeof greeter` instead.
interface GreeterApi {
  greet: (ctx: unknown, name: string) => Promise<string>
}
const Greeter: clients.ServiceDefinition<'Greeter', GreeterApi> = { name: 'Greeter' }

let emulator: Emulator
let restate: clients.Ingress

t.before(async () => {
  // The built-in fixture (an e-commerce catalog with a Greeter) on random ports; time stands
  // still until the test moves it, and seed 1 makes every run identical.
  emulator = await startEmulator({ clock: 'manual', seed: 1 })
  restate = clients.connect({ url: emulator.ingressUrl })
})
t.beforeEach(() => emulator.reset())
t.teardown(() => emulator.close())

t.test('a call completes when the test moves the clock', async t => {
  // An idempotency key makes a send attachable, so that `result()` can fetch its output (as in Restate).
  const send = await restate.serviceSendClient(Greeter).greet('Ada', clients.SendOpts.from({ idempotencyKey: 'greet-ada' }))
  t.equal(emulator.invocations.get(send.invocationId)?.status, 'running', 'time stands still')

  const done = await emulator.waitFor(send.invocationId, 'completed')
  t.equal(done.completion_result, 'success')
  t.equal(await restate.result(send), 'Hello, Ada!')
})

t.test('a flaky attempt is retried with backoff', async t => {
  // This one call fails twice, then succeeds.
  const send = await restate.serviceSendClient(Greeter).greet('Bo', clients.SendOpts.from({
    idempotencyKey: 'greet-bo',
    headers: { 'x-emulator-behavior': 'fail-attempts=2' }
  }))

  const retrying = await emulator.waitFor(send.invocationId, 'backing-off')
  t.equal(retrying.retry_count, 1)
  t.match(retrying.last_failure, /^\[500\] /)
  t.type(retrying.next_retry_at, 'string')

  const done = await emulator.waitFor(send.invocationId, 'completed')
  t.equal(done.retry_count, 2)
  t.equal(await restate.result(send), 'Hello, Bo!')
})

t.test('an injected fault fails the call terminally', async t => {
  emulator.faults.add({ target: 'Greeter/*', count: 1, effect: { type: 'terminal', code: 422, message: 'no greetings today' } })
  const send = await restate.serviceSendClient(Greeter).greet('Cy', clients.SendOpts.from({ idempotencyKey: 'greet-cy' }))

  const done = await emulator.waitFor(send.invocationId, 'completed')
  t.equal(done.completion_failure, '[422] no greetings today')
  await t.rejects(restate.result(send), { message: /no greetings today/ })
})

t.test('the admin API lists what happened', async t => {
  for (const name of ['Di', 'Ed']) {
    const send = await restate.serviceSendClient(Greeter).greet(name)
    await emulator.waitFor(send.invocationId, 'completed')
  }
  const res = await fetch(`${emulator.adminUrl}/invocations?service=Greeter&status=completed`)
  const { invocations } = await res.json() as { invocations: Array<{ target: string }> }
  t.equal(invocations.length, 2)
  t.match(invocations, [{ target: 'Greeter/greet' }, { target: 'Greeter/greet' }])
})
