const { RE2 } = require('re2-wasm');
const mode = process.argv[2];
let n = 0;
const pat = process.argv[3];
try {
  for (; n < 2_000_000; n++) {
    try { const r = new RE2(pat, 'u'); if (mode === 'free') r.wrapper.delete(); }
    catch (e) { if (!/Invalid regular/.test(e.message)) throw e; }
  }
  console.log(mode, pat, 'no OOM after', n);
} catch (e) { console.log(mode, pat, 'failed at', n, String(e.message).slice(0, 100)); 
  try { new RE2('a', 'u'); console.log('after: ok'); } catch (e2) { console.log('after:', String(e2.message).slice(0,100)); } }
