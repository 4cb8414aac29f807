// The one launcher of a throwaway test server, for the xunit suites, the Pester suites and the
// benchmark:
//
//   node tests/server/throwaway.js (pouchdb-server | couchdb) [--admin NAME:PASSWORD] [--nodes N]
//
// pouchdb-server: pouchdb-server 4.2.0 from this folder (npm ci first), in memory.
// couchdb: Apache CouchDB from /opt/couchdb as a single node with its own node name, cookie,
//   data directory and no epmd (so it runs beside any other CouchDB), configured with
//   tests/couchdb-test-node.ini through COUCHDB_ARGS_FILE and COUCHDB_INI_FILES.
// couchdb --nodes N: a cluster of N such nodes on loopback (one cookie, one server uuid, n=N q=2),
//   which find each other through an epmd of their own on a free port; the first node joins the
//   others (PUT /_node/_local/_nodes/NAME) and the system databases are created once all N are members.
// Either listens on a free loopback port with the admin NAME:PASSWORD (default admin:secret) and
// keeps everything in a new temporary folder. Once the server answers, one JSON line goes to stdout:
//   {"url":"http://admin:secret@127.0.0.1:PORT/","pid":PID,"dir":"/tmp/couchrepl-...","nodes":[...]}
// (url and pid are the first node's; nodes lists every node as {"url","pid","name"}: pid the node's
// process, null while it is stopped; name its Erlang node name, null for pouchdb-server). The
// server runs until stdin closes or SIGTERM, SIGINT or SIGHUP comes; then it is killed and the
// folder deleted. Lines on stdin drive a restart: "stop [I]" kills node I (0 by default), keeping
// port and data, and answers {"stopped":PID}; "start [I]" starts it again and answers as at first.
// A server that does not start within 60 s is reported on stderr with the end of its logs, and the
// launcher exits with 1.
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
  process.stderr.write(`throwaway.js: ${problem}\nusage: node tests/server/throwaway.js (pouchdb-server | couchdb) [--admin NAME:PASSWORD] [--nodes N]\n`);
  process.exit(2);
}

function parse(args) {
  const options = { kind: null, user: 'admin', password: 'secret', nodes: 1 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--admin') {
      const value = args[++i] || '';
      const colon = value.indexOf(':');
      if (colon < 1) usage('--admin needs NAME:PASSWORD');
      options.user = value.slice(0, colon);
      options.password = value.slice(colon + 1);
    } else if (args[i] === '--nodes') {
      options.nodes = Number(args[++i]);
      if (!Number.isInteger(options.nodes) || options.nodes < 1) usage('--nodes needs a number from 1');
    } else if (options.kind === null && (args[i] === 'pouchdb-server' || args[i] === 'couchdb')) {
      options.kind = args[i];
    } else {
      usage(`unknown argument '${args[i]}'`);
    }
  }
  if (options.kind === null) usage('name the server: pouchdb-server or couchdb');
  if (options.nodes > 1 && options.kind !== 'couchdb') usage('only couchdb runs as a cluster');
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

// Writes a node's configuration into dir; returns how to start it, its node name and the path that
// answers 200 once it takes requests. cluster (null for a single node) holds what the nodes of a
// cluster share: cookie, uuid, size and their epmd's port.
async function prepare(options, dir, port, cluster) {
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
  const name = `couchtest${port}@127.0.0.1`;
  // A single node needs no epmd: it listens where it is told and connects to nobody. Cluster nodes
  // look each other up in their own epmd (ERL_EPMD_PORT), which nothing else on the machine uses.
  const distribution = cluster ? [] : ['-erl_epmd_port ' + await freePort()];
  const vmArgs = fs.readFileSync(path.join(couchDbHome, 'etc', 'vm.args'), 'utf8').split('\n')
    .filter((line) => !line.startsWith('-name') && !line.startsWith('-setcookie'))
    .concat([`-name ${name}`, `-setcookie ${cluster ? cluster.cookie : random()}`, '-start_epmd false', ...distribution]);
  fs.writeFileSync(path.join(dir, 'vm.args'), vmArgs.join('\n') + '\n');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  const fields = {
    UUID: cluster ? cluster.uuid : random(), DATA: data, PORT: String(port), ADMIN_USER: options.user, ADMIN_PASSWORD: options.password,
    LOG: path.join(dir, 'couch.log'), SINGLE_NODE: String(!cluster), N: String(cluster ? cluster.size : 1),
    INTERVAL: cluster ? '10000' : '60000',
  };
  const ini = Object.entries(fields).reduce((text, [field, value]) => text.split(`{${field}}`).join(value),
    fs.readFileSync(path.join(tests, 'couchdb-test-node.ini'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'local.ini'), ini);
  return {
    command: couchdb,
    args: [],
    env: {
      ...process.env,
      ...(cluster ? { ERL_EPMD_PORT: String(cluster.epmdPort) } : {}),
      COUCHDB_ARGS_FILE: path.join(dir, 'vm.args'),
      COUCHDB_INI_FILES: `${path.join(couchDbHome, 'etc', 'default.ini')} ${path.join(dir, 'local.ini')}`,
    },
    name,
    // /_up answers before the system databases exist; _users appears last. A cluster node's system
    // databases are created once the cluster is joined, so until then its welcome must do.
    readyPath: cluster ? '' : '_users',
  };
}

// Sends a request as the admin; answers { status, body } (body parsed when JSON), status 0 when
// the server did not answer within 5 s.
function call(url, method, relative, body) {
  return new Promise((resolve) => {
    const request = http.request(new URL(relative, url), {
      method,
      headers: {
        Accept: 'application/json', 'Content-Type': 'application/json',
        Authorization: 'Basic ' + Buffer.from(decodeURIComponent(url.username) + ':' + decodeURIComponent(url.password)).toString('base64'),
      },
      timeout: 5000,
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        let parsed = null;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: response.statusCode, body: parsed });
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve({ status: 0, body: null }));
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const answers = async (url, readyPath) => (await call(url, 'GET', readyPath)).status === 200;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, condition) {
  const deadline = Date.now() + startLimitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`the cluster did not come together: ${what} within ${startLimitMs / 1000} s`);
    await sleep(200);
  }
}

// Joins the nodes into one cluster through the first, waits until every node counts all of them
// as members, and creates the system databases, which a clustered CouchDB does not create itself.
async function join(nodes) {
  const [first, ...others] = nodes;
  for (const node of others) {
    const added = await call(first.url, 'PUT', `_node/_local/_nodes/${node.name}`, {});
    if (added.status !== 201 && added.status !== 202 && added.status !== 409) throw new Error(`adding ${node.name} answered ${added.status}`);
  }
  const names = nodes.map((node) => node.name).sort().join(',');
  for (const node of nodes) {
    await until(`${node.name} sees every member`, async () => {
      const membership = (await call(node.url, 'GET', '_membership')).body;
      return membership && [...membership.cluster_nodes].sort().join(',') === names && [...membership.all_nodes].sort().join(',') === names;
    });
  }
  for (const db of ['_users', '_replicator']) {
    const created = await call(first.url, 'PUT', db);
    if (created.status !== 201 && created.status !== 202 && created.status !== 412) throw new Error(`creating ${db} answered ${created.status}`);
  }
  for (const node of nodes) await until(`${node.name} has _replicator`, () => answers(node.url, '_replicator'));
}

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
  const nodes = []; // { url, name, dir, start, server: { child, exited } or null }
  let epmd = null; // { child, exited }
  let finishing = false;

  // A node runs in a process group of its own (CouchDB's VM has children): kill all of it.
  const kill = async (running) => {
    try { process.kill(-running.child.pid, 'SIGKILL'); } catch { /* gone already */ }
    await running.exited;
  };
  const stopNode = async (node) => {
    if (!node.server) return;
    const running = node.server;
    node.server = null;
    await kill(running);
  };
  const finish = async (code) => {
    if (finishing) return;
    finishing = true;
    await Promise.all(nodes.map(stopNode));
    if (epmd) await kill(epmd);
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => finish(0));

  const spawnGroup = (command, args, options) => {
    const child = spawn(command, args, { ...options, detached: true });
    return { child, exited: new Promise((resolve) => child.on('exit', resolve)) };
  };

  const startNode = async (node) => {
    const { start } = node;
    const log = fs.openSync(path.join(node.dir, 'stdout.log'), 'a');
    node.server = spawnGroup(start.command, start.args, { cwd: node.dir, env: start.env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    let exitCode = null;
    node.server.exited.then((code) => { exitCode = code; });
    const deadline = Date.now() + startLimitMs;
    while (!(await answers(node.url, start.readyPath))) {
      if (finishing) return;
      if (exitCode !== null || Date.now() > deadline) {
        throw new Error(`${options.kind} did not start ${exitCode !== null ? `(it exited with ${exitCode})` : `within ${startLimitMs / 1000} s`}; the end of its logs:\n`
          + tail(path.join(node.dir, 'stdout.log')) + '\n' + tail(path.join(node.dir, options.kind === 'couchdb' ? 'couch.log' : 'pouchdb.log')));
      }
      await sleep(100);
    }
  };

  const announce = () => {
    const shown = nodes.map((node) => ({ url: node.url.href, pid: node.server ? node.server.child.pid : null, name: node.name || null }));
    process.stdout.write(JSON.stringify({ url: shown[0].url, pid: shown[0].pid, dir, nodes: shown }) + '\n');
  };

  try {
    let cluster = null;
    if (options.nodes > 1) {
      cluster = { cookie: random(), uuid: random(), size: options.nodes, epmdPort: await freePort() };
      const epmdProgram = fs.readdirSync(couchDbHome).filter((entry) => entry.startsWith('erts-')).map((erts) => path.join(couchDbHome, erts, 'bin', 'epmd'))[0];
      epmd = spawnGroup(epmdProgram, ['-port', String(cluster.epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore' });
    }
    for (let i = 0; i < options.nodes; i++) {
      const port = await freePort();
      const nodeDir = cluster ? path.join(dir, `node${i}`) : dir;
      fs.mkdirSync(nodeDir, { recursive: true });
      const url = new URL(`http://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/`);
      const start = await prepare(options, nodeDir, port, cluster);
      nodes.push({ url, name: start.name, dir: nodeDir, start, server: null });
    }

    const commands = readline.createInterface({ input: process.stdin });
    commands.on('close', () => finish(0));
    let queue = Promise.all(nodes.map(startNode)).then(async () => {
      if (cluster) await join(nodes);
      if (!finishing) announce();
    });
    commands.on('line', (line) => {
      const [command, index = '0'] = line.trim().split(/\s+/);
      queue = queue.then(async () => {
        const node = nodes[Number(index)];
        if (command === '') return;
        if (!node || (command !== 'stop' && command !== 'start')) {
          process.stderr.write(`throwaway.js: unknown command '${line.trim()}' (stop [I], start [I], I from 0 to ${nodes.length - 1})\n`);
        } else if (command === 'stop') {
          const pid = node.server ? node.server.child.pid : null;
          await stopNode(node);
          process.stdout.write(JSON.stringify({ stopped: pid }) + '\n');
        } else {
          if (!node.server) await startNode(node);
          announce();
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
