// Read every table of a Data Package with the v1 reader (npm datapackage) and print them as JSON:
// {"tables": {name: [[cell, ...], ...]}, "errors": {name: message}, "descriptor_errors": [...]}.
// Dates are printed as YYYY-MM-DD; numbers as numbers; missing cells as null.
const {Package} = require('datapackage');

function cell(value) {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (value !== null && typeof value === 'object' && typeof value.toNumber === 'function') return value.toNumber();  // decimal.js
  return value;
}

(async () => {
  const pkg = await Package.load(process.argv[2]);
  const out = {tables: {}, errors: {}, descriptor_errors: pkg.valid ? [] : pkg.errors.map(e => e.message)};
  for (const resource of pkg.resources) {
    try {
      out.tables[resource.name] = (await resource.read({cast: true})).map(row => row.map(cell));
    } catch (error) {
      out.errors[resource.name] = String(error.message || error) + (error.errors ? ': ' + error.errors.map(e => e.message).join('; ') : '');
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
