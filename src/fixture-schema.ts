import { Fixture } from './core/behavior.js'

/** The fixture format as a plain JSON Schema document, for editors and `GET /_emulator/fixture/schema`. */
export function fixtureJsonSchema (): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/restate-emulator/restate-emulator/fixture.schema.json',
    ...JSON.parse(JSON.stringify(Fixture)) as Record<string, unknown>
  }
}
