// The examples' polyfill, for the tests that load the official client on Node 20.
import '../../examples/node20-polyfill.js'
