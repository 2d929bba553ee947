'use strict';
// What every node-vault script shares: a client built the way an
// application builds one, and a tiny runner. A check is a named async
// function; the runner goes through them in order (later checks may rely
// on what earlier ones wrote), prints one line per check, and closes with
// "N passed, M failed", exiting non-zero when anything failed. Kept to what
// Debian 12's node 18 runs: CommonJS, node:assert, no test framework.

const assert = require('node:assert');
const nodeVault = require('node-vault');

function env(name) {
	const value = process.env[name];
	if (!value) {
		throw new Error(name + ' must be set (the python runner sets it)');
	}
	return value;
}

// A node-vault client on the server under test; extra options (a
// different token, noCustomHTTPVerbs) override the defaults.
function client(extra) {
	const config = {
		apiVersion: 'v1',
		endpoint: env('VAULT_ADDR'),
		token: env('VAULT_TOKEN'),
	};
	return nodeVault(Object.assign(config, extra || {}));
}

// Asserts that a node-vault call rejected the way node-vault rejects an
// HTTP error: an Error whose message is errors[0] of the body (or
// "Status <code>" when the list is empty) and whose response carries the
// status code and the parsed body. Returns the error for further checks.
async function rejectsWith(promise, statusCode, message) {
	let caught = null;
	try {
		const value = await promise;
		assert.fail('expected a ' + statusCode + ' rejection, got ' +
			    JSON.stringify(value));
	} catch (err) {
		if (err instanceof assert.AssertionError) {
			throw err;
		}
		caught = err;
	}
	assert.ok(caught.response, 'not an HTTP error: ' + caught.message);
	const got = caught.response.statusCode;
	assert.strictEqual(got, statusCode,
			   'status ' + got + ', expected ' + statusCode +
				   '; body ' + JSON.stringify(caught.response.body));
	if (message !== undefined) {
		assert.strictEqual(caught.message, message);
	}
	return caught;
}

// One line, so that the output stays one line per check.
function describe(err) {
	let text = err instanceof Error ? err.name + ': ' + err.message
					: String(err);
	if (err && err.code && !(err instanceof assert.AssertionError)) {
		text += ' (' + err.code + ')';
	}
	if (err && err.response) {
		text += ' [status ' + err.response.statusCode + ', body ' +
			JSON.stringify(err.response.body) + ']';
	}
	return text.replace(/\s*\n\s*/g, ' | ');
}

async function run(checks) {
	let passed = 0;
	let failed = 0;
	for (const [name, fn] of checks) {
		try {
			await fn();
			passed++;
			console.log('ok   ' + name);
		} catch (err) {
			failed++;
			console.log('FAIL ' + name + ': ' + describe(err));
		}
	}
	console.log(passed + ' passed, ' + failed + ' failed');
	process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

module.exports = { assert, client, env, rejectsWith, run };
