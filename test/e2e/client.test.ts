import '../helpers/polyfill.js'
import t from 'tap'
import * as clients from '@restatedev/restate-sdk-clients'
import { listeningEmulator } from '../helpers/emulator.js'
import { assertInvocation } from '../helpers/schema.js'

// Handler shapes for the typed client; the emulator simulates them from TEST_FIXTURE.
// Handlers take the SDK context first, as in a real service; the client drops it.
type Ctx = unknown
const Greeter: clients.ServiceDefinition<'Greeter', { greet: (ctx: Ctx, input: string) => Promise<string> }> = { name: 'Greeter' }
const Counter: clients.VirtualObjectDefinition<'Counter', { add: (ctx: Ctx, n: number) => Promise<number> }> = { name: 'Counter' }
const Flaky: clients.ServiceDefinition<'Flaky', { terminal: (ctx: Ctx) => Promise<void>, twice: (ctx: Ctx) => Promise<string> }> = { name: 'Flaky' }
const Signup: clients.WorkflowDefinition<'Signup', { run: (ctx: Ctx) => Promise<string> }> = { name: 'Signup' }

t.test('the official client against real ports', async t => {
  // A real clock, ten times faster: the fixture's 100 ms greet takes 10 ms.
  const emu = await listeningEmulator(t, { clock: 'real', speed: 10 })
  const ingress = clients.connect({ url: emu.ingressUrl })
  const admin = async (path: string, init?: RequestInit): Promise<Response> => fetch(`${emu.adminUrl}${path}`, init)

  t.test('sync call', async t => {
    t.equal(await ingress.serviceClient(Greeter).greet('Ada'), 'Hello, Ada!')
  })

  t.test('send, then attach (the client attaches only with an idempotency key)', async t => {
    const handle = await ingress.serviceSendClient(Greeter).greet('Bo', clients.rpc.sendOpts({ idempotencyKey: 'greet-bo' }))
    t.match(handle, { invocationId: /^inv_[0-9A-Za-z]{34}$/, status: 'Accepted', attachable: true })
    t.equal(await ingress.result(handle), 'Hello, Bo!')
    const record = await (await admin(`/invocations/${handle.invocationId}`)).json()
    assertInvocation(record)
    t.match(record, { status: 'completed', completion_result: 'success' })
  })

  t.test('idempotent resend answers PreviouslyAccepted with the same id', async t => {
    const send = ingress.serviceSendClient(Greeter)
    const one = await send.greet('Cy', clients.rpc.sendOpts({ idempotencyKey: 'greet-cy' }))
    const two = await send.greet('Cy', clients.rpc.sendOpts({ idempotencyKey: 'greet-cy' }))
    t.equal(one.status, 'Accepted')
    t.equal(two.status, 'PreviouslyAccepted')
    t.equal(two.invocationId, one.invocationId)
  })

  t.test('object call, and delayed send', async t => {
    t.equal(await ingress.objectClient(Counter, 'k1').add(5), 5)
    const handle = await ingress.objectSendClient(Counter, 'k1').add(6, clients.rpc.sendOpts({ delay: 1000, idempotencyKey: 'add-6' }))
    const record = await (await admin(`/invocations/${handle.invocationId}`)).json()
    t.match(record, { status: 'pending', target: 'Counter/k1/add', scheduled_start_at: String })
    t.equal(await ingress.result(handle), 6)
  })

  t.test('a terminal error carries its code', async t => {
    try {
      await ingress.serviceClient(Flaky).terminal()
      t.fail('should have thrown')
    } catch (err) {
      t.ok(err instanceof clients.HttpCallError)
      t.equal((err as clients.HttpCallError).status, 422)
      t.match((err as Error).message, /nope/)
    }
  })

  t.test('transient failures are retried until success', async t => {
    t.equal(await ingress.serviceClient(Flaky).twice(), 'ok')
  })

  t.test('workflow submit, attach and output', async t => {
    const wf = ingress.workflowClient(Signup, 'user-7')
    const submission = await wf.workflowSubmit()
    t.equal(submission.status, 'Accepted')
    t.equal(await wf.workflowAttach(), 'welcome user-7')
    const output = await wf.workflowOutput()
    t.match(output, { ready: true, result: 'welcome user-7' })
  })
})
