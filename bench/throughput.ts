/**
 * Requests per second of the emulator's hot routes against a bare Fastify route, measured in one
 * run on one machine, so that the ratio means something on a shared, noisy host.
 *
 *   npm run bench:throughput            (about 40 s)
 *
 * Each case runs `CONCURRENCY` keep-alive clients in this process for `SECONDS` seconds.
 */
import Fastify from 'fastify'
import { Agent, request } from 'undici'
import { startEmulator } from '../src/index.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)

interface Result { name: string, rps: number, p50: number, p99: number }

async function measure (name: string, url: string, init: { method: 'GET' | 'POST', body?: string }): Promise<Result> {
  const agent = new Agent({ connections: CONCURRENCY, pipelining: 1 })
  const latencies: number[] = []
  const deadline = performance.now() + SECONDS * 1000
  let errors = 0
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const start = performance.now()
      const res = await request(url, { method: init.method, body: init.body, dispatcher: agent, headers: { 'content-type': 'application/json' } })
      await res.body.arrayBuffer()
      if (res.statusCode >= 400) errors++
      latencies.push(performance.now() - start)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = (performance.now() - started) / 1000
  await agent.close()
  if (errors > 0) throw new Error(`${name}: ${errors} error answers`)
  latencies.sort((a, b) => a - b)
  return {
    name,
    rps: latencies.length / elapsed,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)]
  }
}

async function main (): Promise<void> {
  const bare = Fastify()
  bare.get('/ping', async () => ({ ok: true }))
  bare.post('/echo', async (req) => req.body)
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' })

  // Zero-duration handlers so that the measure is the emulator's own overhead, not simulated time.
  const emu = await startEmulator({
    seed: 1,
    retention: '1m',
    fixture: {
      services: [
        { name: 'Greeter', handlers: { greet: { duration: 0, output: { template: 'Hello, {{input}}!' } } } },
        { name: 'Counter', type: 'virtual_object', handlers: { add: { duration: 0, output: { echo: true } } } }
      ]
    }
  })
  // A store of 20,000 invocations for the list route to page through.
  for (let i = 0; i < 20_000; i++) emu.core.engine.invoke({ service: 'Greeter', handler: 'greet', input: i })

  const results: Result[] = []
  results.push(await measure('bare Fastify GET /ping', `${bareUrl}/ping`, { method: 'GET' }))
  results.push(await measure('bare Fastify POST /echo', `${bareUrl}/echo`, { method: 'POST', body: '"x"' }))
  results.push(await measure('emulator POST /Greeter/greet (sync call)', `${emu.ingressUrl}/Greeter/greet`, { method: 'POST', body: '"x"' }))
  results.push(await measure('emulator POST /Greeter/greet/send', `${emu.ingressUrl}/Greeter/greet/send`, { method: 'POST', body: '"x"' }))
  results.push(await measure('emulator GET /invocations?limit=50', `${emu.adminUrl}/invocations?limit=50`, { method: 'GET' }))
  results.push(await measure('emulator GET /invocations?status=backing-off (scan)', `${emu.adminUrl}/invocations?status=backing-off&limit=50`, { method: 'GET' }))
  const stored = emu.core.engine.store.size
  await emu.close()
  await bare.close()

  const base = results[0].rps
  console.log(`\n${SECONDS}s per case, ${CONCURRENCY} concurrent keep-alive clients, Node ${process.version}; ${stored} invocations stored at the end\n`)
  console.log('| case | req/s | vs bare GET | p50 ms | p99 ms |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const r of results) {
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / base).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`)
  }
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
