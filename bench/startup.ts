/**
 * Start-up time: from spawning a process to its first 200 on /health, for the emulator's CLI
 * (the admin /health that the Docker HEALTHCHECK polls) against a bare Fastify server and a bare
 * node:http server started the same way. Runs are interleaved so that load on the machine
 * affects each subject alike.
 *
 *   npm run bench:startup               # 20 runs of each
 *   npm run bench:startup -- --runs 50
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const POLL_MS = 2
const DEADLINE_MS = 15_000

interface Subject {
  name: string
  /** Arguments after `node`, given a free port for /health and another one. */
  args: (healthPort: number, otherPort: number) => string[]
}

const SUBJECTS: Subject[] = [
  { name: 'node:http (floor)', args: port => ['bench/bare-node.mjs', String(port)] },
  { name: 'bare Fastify', args: port => ['bench/bare-fastify.mjs', String(port)] },
  {
    name: 'restate-emulator CLI',
    args: (admin, ingress) => ['dist/cli.js', '--admin-port', String(admin), '--ingress-port', String(ingress), '--log-level', 'warn', '--seed', '1']
  }
]

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

function probe (port: number): Promise<number> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.end()
  })
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc on Linux (in clock
 * ticks, usually 10 ms); undefined elsewhere. Less sensitive to a busy machine than wall time.
 */
function cpuMs (pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

interface Sample {
  wallMs: number
  cpuMs: number | undefined
}

/** From spawn to the first 200 on /health: wall time, and the CPU time the process used. */
async function measure (subject: Subject): Promise<Sample> {
  const [healthPort, otherPort] = [await freePort(), await freePort()]
  const started = performance.now()
  const child = spawn(process.execPath, subject.args(healthPort, otherPort), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = once(child, 'exit')
  try {
    for (;;) {
      if (await probe(healthPort) === 200) return { wallMs: performance.now() - started, cpuMs: cpuMs(child.pid) }
      if (child.exitCode !== null) throw new Error(`${subject.name} exited with ${child.exitCode}`)
      if (performance.now() - started > DEADLINE_MS) throw new Error(`${subject.name} not healthy after ${DEADLINE_MS} ms`)
      await new Promise(resolve => setTimeout(resolve, POLL_MS))
    }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } })
  const runs = Number(values.runs)
  const samples = new Map<string, Sample[]>(SUBJECTS.map(s => [s.name, []]))
  const load = loadavg()[0]
  // One warm-up round, not counted: the first spawn pays for a cold file cache.
  for (const subject of SUBJECTS) await measure(subject)
  for (let run = 0; run < runs; run++) {
    for (const subject of SUBJECTS) samples.get(subject.name)?.push(await measure(subject))
  }
  const ms = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(0)).padStart(6)
  console.log(`Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${load.toFixed(2)} at start, ${runs} runs each`)
  console.log('')
  console.log('| spawn → 200 on /health | median ms | p90 ms | min ms | max ms | CPU ms (median) |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  const medians = new Map<string, number>()
  for (const [name, list] of samples) {
    const wall = list.map(s => s.wallMs).sort((a, b) => a - b)
    const cpu = list.map(s => s.cpuMs).filter(c => c !== undefined).sort((a, b) => a - b)
    medians.set(name, percentile(wall, 0.5))
    console.log(`| ${name} | ${ms(percentile(wall, 0.5))} | ${ms(percentile(wall, 0.9))} | ${ms(wall[0])} | ${ms(wall[wall.length - 1])} | ${ms(cpu.length > 0 ? percentile(cpu, 0.5) : undefined)} |`)
  }
  const emulator = medians.get('restate-emulator CLI') as number
  const fastify = medians.get('bare Fastify') as number
  console.log('')
  console.log(`The emulator takes ${(emulator - fastify).toFixed(0)} ms (median) more than a bare Fastify server to become healthy.`)
}

await main()
