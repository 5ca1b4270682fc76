#!/usr/bin/env node
import { ConfigError, helpText, resolveOptions } from './config.js'
import { listen } from './index.js'
import { version } from './version.js'

/**
 * Reads flags and env, starts the emulator, and shuts down gracefully on SIGTERM/SIGINT:
 * stop accepting, answer in-flight requests, save the snapshot, exit 0.
 */
async function main (): Promise<void> {
  let options
  try {
    options = resolveOptions({ argv: process.argv.slice(2), env: process.env, defaults: 'cli' })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`restate-emulator: configuration error: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  if (options.action === 'help') {
    process.stdout.write(`${helpText()}\n`)
    return
  }
  if (options.action === 'version') {
    process.stdout.write(`${version}\n`)
    return
  }
  let emulator
  try {
    emulator = await listen(options)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`restate-emulator: configuration error: ${err.message}\n`)
      process.exit(2)
    }
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      process.stderr.write(`restate-emulator: cannot listen: ${(err as Error).message} (set --ingress-port / --admin-port)\n`)
      process.exit(1)
    }
    throw err
  }
  const log = emulator.admin.log
  log.info({
    ingress: emulator.ingressUrl,
    admin: emulator.adminUrl,
    seed: emulator.seed,
    clock: options.clock,
    speed: options.speed,
    fixture: options.fixtureSource
  }, `restate-emulator ${version} ready: ingress ${emulator.ingressUrl}, admin ${emulator.adminUrl}, seed ${emulator.seed}`)
  process.stdout.write(
    `restate-emulator ${version}\n` +
    `  ingress  ${emulator.ingressUrl}\n` +
    `  admin    ${emulator.adminUrl}  (docs ${emulator.adminUrl}/docs, live page ${emulator.adminUrl}/ui)\n` +
    `  seed     ${emulator.seed}   clock ${options.clock}${options.clock === 'real' && options.speed !== 1 ? ` x${options.speed}` : ''}   fixture ${options.fixtureSource}\n`
  )
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    emulator.close().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'error while shutting down')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((err: unknown) => {
  process.stderr.write(`restate-emulator: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
