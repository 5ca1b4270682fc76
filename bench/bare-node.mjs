// The floor for bench/startup.ts: Node's own http server answering /health.
import { createServer } from 'node:http'

const server = createServer((_req, res) => res.end())
server.listen(Number(process.argv[2]), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
