// What a lab's executable `lab/NAME/run` does: load lab/NAME/lab.mjs (ES modules; the entry stays CommonJS so
// it runs as a plain script without an extension), run its main with the command line, exit with its status.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');

module.exports = function start(labDir) {
  const name = `lab/${path.basename(labDir)}`;
  import(pathToFileURL(path.join(labDir, 'lab.mjs')).href)
    .then((lab) => lab.main(process.argv.slice(2)))
    .then((code) => process.exit(code))
    .catch((err) => {
      process.stderr.write(`${name}: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    });
};
