/** The `/admin` page: plain HTML and a small script; it renders server data as text only. */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Concord admin</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;min-width:140px}
.card b{display:block;font-size:24px}canvas{background:#fff;border:1px solid #ddd;border-radius:6px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}#error{color:#b00}
</style></head><body>
<h1>Concord: live status</h1>
<p><label>Admin token <input id="token" type="password" size="40"></label> <button id="save">Use</button> <span id="error"></span></p>
<div class="cards">
<div class="card">connections<b id="connections">–</b></div><div class="card">users<b id="users">–</b></div>
<div class="card">ops/s<b id="ops">–</b></div><div class="card">commit p99 (ms)<b id="p99">–</b></div>
<div class="card">buffered out (KB)<b id="buffered">–</b></div><div class="card">rejected (total)<b id="rejected">–</b></div></div>
<h2>Ops per second (last minute)</h2><canvas id="opsChart" width="640" height="140"></canvas>
<h2>Commit latency p50 / p99 in ms (last minute)</h2><canvas id="latChart" width="640" height="140"></canvas>
<h2>Hottest documents (ops, last minute)</h2><table><thead><tr><th>collection</th><th>id</th><th>ops</th></tr></thead><tbody id="hot"></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
// Next to the page, wherever the host app mounted the router (app.use('/collab', router) serves /collab/admin).
const statusUrl = location.pathname.replace(/\\/+$/, '') + '/status';
$('token').value = sessionStorage.getItem('concord-admin-token') || '';
$('save').onclick = () => { sessionStorage.setItem('concord-admin-token', $('token').value); poll(); };
function chart(canvas, series, colors) {
  const g = canvas.getContext('2d'); g.clearRect(0, 0, canvas.width, canvas.height);
  const max = Math.max(1, ...series.flat());
  series.forEach((values, i) => { g.strokeStyle = colors[i]; g.beginPath();
    values.forEach((v, x) => { const px = (x / 59) * (canvas.width - 10) + 5, py = canvas.height - 5 - (v / max) * (canvas.height - 20);
      x ? g.lineTo(px, py) : g.moveTo(px, py); }); g.stroke(); });
  g.fillStyle = '#666'; g.fillText('max ' + max, 8, 12);
}
async function poll() {
  const token = sessionStorage.getItem('concord-admin-token') || '';
  try {
    const res = await fetch(statusUrl, { headers: token ? { authorization: 'Bearer ' + token } : {} });
    const body = await res.json();
    if (!res.ok) { $('error').textContent = body.error ? body.error.code + ': ' + body.error.message : res.status; return; }
    $('error').textContent = '';
    $('connections').textContent = body.connections.count; $('users').textContent = body.connections.users;
    $('buffered').textContent = Math.round(body.connections.bufferedBytes / 1024); $('rejected').textContent = body.totals.rejected;
    const last = body.history[body.history.length - 1] || { opsPerSec: 0, p99Ms: 0 };
    $('ops').textContent = last.opsPerSec; $('p99').textContent = last.p99Ms;
    chart($('opsChart'), [body.history.map((s) => s.opsPerSec)], ['#2a6']);
    chart($('latChart'), [body.history.map((s) => s.p50Ms), body.history.map((s) => s.p99Ms)], ['#26a', '#a62']);
    const rows = body.hottest.map((d) => { const tr = document.createElement('tr');
      for (const v of [d.collection, d.id, d.opsLastMinute]) { const td = document.createElement('td'); td.textContent = String(v); tr.append(td); }
      return tr; });
    $('hot').replaceChildren(...rows);
  } catch (e) { $('error').textContent = String(e); }
}
poll(); setInterval(poll, 2000);
</script></body></html>`;
