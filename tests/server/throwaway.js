// The one launcher of a throwaway test server, for the xunit suites, the Pester suites and the
// benchmark:
//
//   node tests/server/throwaway.js (pouchdb-server | couchdb) [--admin NAME:PASSWORD]
//
// pouchdb-server: pouchdb-server 4.2.0 from this folder (npm ci first), in memory.
// couchdb: Apache CouchDB from /opt/couchdb as a single node with its own node name, cookie,
//   data directory and no epmd (so it runs beside any other CouchDB), configured with
//   tests/couchdb-test-node.ini through COUCHDB_ARGS_FILE and COUCHDB_INI_FILES.
// Either listens on a free loopback port with the admin NAME:PASSWORD (default admin:secret) and
// keeps everything in a new temporary folder. Once the server answers, one JSON line goes to stdout:
//   {"url":"http://admin:secret@127.0.0.1:PORT/","pid":PID,"dir":"/tmp/couchrepl-..."}
// (pid is the server's process). The server runs until stdin closes or SIGTERM, SIGINT or SIGHUP
// comes; then it is killed and the folder deleted. Lines on stdin drive a restart: "stop" kills
// the server, keeping port and data, and answers {"stopped":PID}; "start" starts it again and
// answers as at first. A server that does not start within 60 s is reported on stderr with the
// end of its logs, and the launcher exits with 1.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const readline = require('readline');
const crypto = require('crypto');

const couchDbHome = '/opt/couchdb';
const startLimitMs = 60_000;
const tests = path.resolve(__dirname, '..');

function usage(problem) {
  process.stderr.write(`throwaway.js: ${problem}\nusage: node tests/server/throwaway.js (pouchdb-server | couchdb) [--admin NAME:PASSWORD]\n`);
  process.exit(2);
}

function parse(args) {
  const options = { kind: null, user: 'admin', password: 'secret' };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--admin') {
      const value = args[++i] || '';
      const colon = value.indexOf(':');
      if (colon < 1) usage('--admin needs NAME:PASSWORD');
      options.user = value.slice(0, colon);
      options.password = value.slice(colon + 1);
    } else if (options.kind === null && (args[i] === 'pouchdb-server' || args[i] === 'couchdb')) {
      options.kind = args[i];
    } else {
      usage(`unknown argument '${args[i]}'`);
    }
  }
  if (options.kind === null) usage('name the server: pouchdb-server or couchdb');
  return options;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const random = () => crypto.randomBytes(16).toString('hex');

// Writes the server's configuration into dir; returns how to start it and the path that answers
// 200 once it takes requests.
async function prepare(options, dir, port) {
  if (options.kind === 'pouchdb-server') {
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({
      admins: { [options.user]: options.password },
      log: { file: path.join(dir, 'pouchdb.log') },
    }));
    return {
      command: process.execPath,
      args: [path.join(__dirname, 'server.js'), '-m', '-p', String(port), '-o', '127.0.0.1', '-c', config, '-n'],
      env: process.env,
      readyPath: '',
    };
  }
  const couchdb = path.join(couchDbHome, 'bin', 'couchdb');
  if (!fs.existsSync(couchdb)) throw new Error(`Apache CouchDB is not installed at ${couchDbHome}`);
  const distributionPort = await freePort();
  const vmArgs = fs.readFileSync(path.join(couchDbHome, 'etc', 'vm.args'), 'utf8').split('\n')
    .filter((line) => !line.startsWith('-name') && !line.startsWith('-setcookie'))
    .concat([`-name couchtest${port}@127.0.0.1`, `-setcookie ${random()}`, '-start_epmd false', `-erl_epmd_port ${distributionPort}`]);
  fs.writeFileSync(path.join(dir, 'vm.args'), vmArgs.join('\n') + '\n');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  const fields = {
    UUID: random(), DATA: data, PORT: String(port), ADMIN_USER: options.user, ADMIN_PASSWORD: options.password,
    LOG: path.join(dir, 'couch.log'),
  };
  const ini = Object.entries(fields).reduce((text, [name, value]) => text.split(`{${name}}`).join(value),
    fs.readFileSync(path.join(tests, 'couchdb-test-node.ini'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'local.ini'), ini);
  return {
    command: couchdb,
    args: [],
    env: {
      ...process.env,
      COUCHDB_ARGS_FILE: path.join(dir, 'vm.args'),
      COUCHDB_INI_FILES: `${path.join(couchDbHome, 'etc', 'default.ini')} ${path.join(dir, 'local.ini')}`,
    },
    // /_up answers before the system databases exist; _users appears last.
    readyPath: '_users',
  };
}

function answers(url, readyPath) {
  return new Promise((resolve) => {
    const request = http.get(new URL(readyPath, url), {
      headers: { Accept: 'application/json', Authorization: 'Basic ' + Buffer.from(decodeURIComponent(url.username) + ':' + decodeURIComponent(url.password)).toString('base64') },
      timeout: 5000,
    }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function main() {
  const options = parse(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `couchrepl-${options.kind}-`));
  let server = null; // { child, exited: Promise }
  let finishing = false;

  const stopServer = async () => {
    if (!server) return;
    const { child, exited } = server;
    server = null;
    // The server runs in a process group of its own (CouchDB's VM has children): kill all of it.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone already */ }
    await exited;
  };
  const finish = async (code) => {
    if (finishing) return;
    finishing = true;
    await stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => finish(0));

  try {
    const port = await freePort();
    const url = new URL(`http://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/`);
    const start = await prepare(options, dir, port);

    const startServer = async () => {
      const log = fs.openSync(path.join(dir, 'stdout.log'), 'a');
      const child = spawn(start.command, start.args, { cwd: dir, env: start.env, detached: true, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      server = { child, exited };
      let exitCode = null;
      exited.then((code) => { exitCode = code; });
      const deadline = Date.now() + startLimitMs;
      while (!(await answers(url, start.readyPath))) {
        if (finishing) return;
        if (exitCode !== null || Date.now() > deadline) {
          throw new Error(`${options.kind} did not start ${exitCode !== null ? `(it exited with ${exitCode})` : `within ${startLimitMs / 1000} s`}; the end of its logs:\n`
            + tail(path.join(dir, 'stdout.log')) + '\n' + tail(path.join(dir, options.kind === 'couchdb' ? 'couch.log' : 'pouchdb.log')));
        }
        await sleep(100);
      }
      process.stdout.write(JSON.stringify({ url: url.href, pid: child.pid, dir }) + '\n');
    };

    const commands = readline.createInterface({ input: process.stdin });
    commands.on('close', () => finish(0));
    let queue = startServer();
    commands.on('line', (line) => {
      const command = line.trim();
      queue = queue.then(async () => {
        if (command === 'stop') {
          const pid = server ? server.child.pid : null;
          await stopServer();
          process.stdout.write(JSON.stringify({ stopped: pid }) + '\n');
        } else if (command === 'start') {
          if (!server) await startServer();
          else process.stdout.write(JSON.stringify({ url: url.href, pid: server.child.pid, dir }) + '\n');
        } else if (command !== '') {
          process.stderr.write(`throwaway.js: unknown command '${command}' (stop, start)\n`);
        }
      }).catch(fail);
    });
    await queue;
  } catch (error) {
    fail(error);
  }

  function fail(error) {
    process.stderr.write(`throwaway.js: ${error && error.message ? error.message : error}\n`);
    finish(1);
  }
}

main();
