// The "app" of the docker-compose example: it calls the emulator exactly as it would call a
// real Restate, at the URLs it is given. Exits 0 when every check passes.
const ingress = process.env.RESTATE_INGRESS_URL ?? 'http://localhost:8080'
const admin = process.env.RESTATE_ADMIN_URL ?? 'http://localhost:9070'

async function call (method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return text === '' ? undefined : JSON.parse(text)
}

function check (what, ok) {
  if (!ok) throw new Error(`failed: ${what}`)
  console.log(`ok - ${what}`)
}

try {
  const greeting = await call('POST', `${ingress}/Greeter/greet`, 'compose')
  check('a sync call answers', greeting === 'Hello, compose!')

  await call('POST', `${ingress}/Cart/alice/add`, { sku: 'SKU-1', qty: 2 })
  check('a virtual object call answers', true)

  // Checkout/pay fails once (see fixtures/shop.json), then succeeds after a retry.
  const sent = await call('POST', `${ingress}/Checkout/pay/send`, { order: 1 }, { 'idempotency-key': 'order-1' })
  check('a send is accepted', typeof sent.invocationId === 'string')
  const paid = await call('GET', `${ingress}/restate/invocation/${sent.invocationId}/attach`)
  check('attaching waits for the result', paid.status === 'paid')

  const record = await call('GET', `${admin}/invocations/${sent.invocationId}`)
  check('the admin API shows the retry', record.status === 'completed' && record.retry_count === 1)

  const { invocations } = await call('GET', `${admin}/invocations?status=completed`)
  check('the admin API lists the invocations', invocations.length === 3)
} catch (err) {
  console.error(err.message)
  process.exit(1)
}
