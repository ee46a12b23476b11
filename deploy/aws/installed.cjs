// Exits 0 when node_modules holds the versions package-lock.json pins for this folder's direct
// dependencies, 1 otherwise (script/bootstrap asks before `npm ci`; deploy/aws/check before it runs).
const lock = require('./package-lock.json').packages;
const direct = Object.keys({ ...lock[''].dependencies, ...lock[''].devDependencies });
const wrong = direct.filter((name) => {
  try {
    return require(`./node_modules/${name}/package.json`).version !== lock[`node_modules/${name}`].version;
  } catch {
    return true;
  }
});
if (wrong.length > 0) {
  if (process.argv.includes('--say')) console.error(`not installed as package-lock.json pins: ${wrong.join(', ')}`);
  process.exit(1);
}
