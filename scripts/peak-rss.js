'use strict';
// Preloaded (node -r) into each benchmarked synth: on exit, writes the process's
// peak resident set size in bytes to the file named by KUBELAB_BENCH_RSS_FILE.
const fs = require('fs');
process.on('exit', () => {
  fs.writeFileSync(process.env.KUBELAB_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
