import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface RunningCli {
  child: ChildProcess
  ingressUrl: string
  adminUrl: string
  stdout: () => string
  stderr: () => string
  /** Sends a signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts the built CLI on free ports and resolves once it has printed its URLs. */
export async function startCli (args: string[] = [], env: Record<string, string> = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI, '--ingress-port', '0', '--admin-port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', chunk => { err += String(chunk) })
  const exited = once(child, 'exit')
  const urls = await new Promise<{ ingressUrl: string, adminUrl: string }>((resolve, reject) => {
    child.stdout!.on('data', chunk => {
      out += String(chunk)
      const ingress = /ingress\s+(http:\/\/\S+)/.exec(out)
      const admin = /admin\s+(http:\/\/\S+)/.exec(out)
      if (ingress !== null && admin !== null) resolve({ ingressUrl: ingress[1], adminUrl: admin[1] })
    })
    child.on('exit', code => reject(new Error(`CLI exited with ${code} before listening: ${err}`)))
  })
  return {
    child,
    ...urls,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal)
      const [code] = await exited
      return code as number | null
    }
  }
}

/** Runs the CLI to completion (for start-up errors); resolves with its exit code and output. */
export async function runCli (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'exit')
  return { code: code as number | null, stdout, stderr }
}

/** fetch, then the JSON body, loosely typed for assertions. */
export async function fetchJson (url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json()
}
