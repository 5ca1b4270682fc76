import { existsSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs'
import type { EmulatorCore, Snapshot } from './core/emulator.js'
import { ConfigError } from './config.js'
import { EmulatorError } from './core/errors.js'

/**
 * Loads the snapshot file into the core if it exists. A file that cannot be read, is not JSON
 * or is not a valid snapshot stops start-up (and is left untouched).
 */
export function loadSnapshotFile (core: EmulatorCore, path: string): boolean {
  if (!existsSync(path)) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ConfigError('--snapshot', `${path} is not a readable JSON snapshot (${(err as Error).message}); fix or move it, it will not be overwritten`)
  }
  try {
    core.restore(parsed)
  } catch (err) {
    if (err instanceof EmulatorError) {
      throw new ConfigError('--snapshot', `${path} is not a valid snapshot: ${err.message}; fix or move it, it will not be overwritten`)
    }
    throw err
  }
  return true
}

/** Writes the snapshot atomically: a temporary file beside it, then a rename. */
export function saveSnapshotFile (snapshot: Snapshot, path: string): void {
  const temp = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(temp, JSON.stringify(snapshot))
    renameSync(temp, path)
  } catch (err) {
    try { unlinkSync(temp) } catch {}
    throw err
  }
}
