// Runs a Zabbix webhook media type's script the way Zabbix does: the script is a function body
// called with `value` = the parameters as a JSON object string, with Zabbix's HttpRequest, Zabbix.log
// and btoa globals. HttpRequest does real HTTP (curl, synchronously, like Zabbix's own).
// Usage: node zabbix_shim.js <script file> <parameters JSON>; prints {"ok": result} or {"error": …}.
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');

class HttpRequest {
  constructor() { this.headers = []; this.status = 0; }
  addHeader(header) { this.headers.push(header); }
  post(url, data) {
    const args = ['-s', '-X', 'POST', '-w', '\n%{http_code}', '--data-binary', '@-'];
    this.headers.forEach((h) => args.push('-H', h));
    args.push(url);
    const out = execFileSync('curl', args, { input: data }).toString();
    const cut = out.lastIndexOf('\n');
    this.status = parseInt(out.substring(cut + 1), 10);
    return out.substring(0, cut);
  }
  getStatus() { return this.status; }
}

global.HttpRequest = HttpRequest;
global.Zabbix = { log: (level, message) => process.stderr.write(`[${level}] ${message}\n`) };
global.btoa = (text) => Buffer.from(text, 'utf8').toString('base64');

const script = fs.readFileSync(process.argv[2], 'utf8');
try {
  const result = new Function('value', script)(process.argv[3]);
  process.stdout.write(JSON.stringify({ ok: result }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error) }));
}
