'use strict';
// Drive jsforce, unmodified, through one session against an orgbridge emulator and
// print every result as one JSON object on stdout for
// tests/emulator/test_npm_clients.py to check.
//
// Inputs come from environment variables, so no secret shows in the process list:
//   ORG_INSTANCE_URL   https://127.0.0.1:PORT
//   ORG_ACCESS_TOKEN   access token from the client credentials flow
//   ORG_REFRESH_TOKEN  refresh token from the authorization code flow
//   ORG_CLIENT_ID, ORG_CLIENT_SECRET  the connected app, for the refresh request
//   ORG_ADMIN_TOKEN    the emulator's admin token, to expire access tokens
//   ORG_API_VERSION    e.g. 62.0
//   NODE_EXTRA_CA_CERTS  the emulator's CA bundle, read by Node.js at start
// Each step stores its outcome under its own key. A step that throws stores
// {"error": {name, errorCode, message}}, and the script still exits 0, so the test
// names the step that failed. No token or secret is printed.

const jsforce = require('jsforce');

const BULK_CASES = 2300;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is missing`);
  }
  return value;
}

function describeError(err) {
  return {
    name: err.name ?? null,
    errorCode: err.errorCode ?? null,
    message: String(err.message ?? err),
    fields: err.fields ?? null,
    content: err.content ?? err.data ?? null,
  };
}

async function step(results, key, body) {
  try {
    results[key] = await body();
  } catch (err) {
    results[key] = { error: describeError(err) };
  }
}

async function expectError(body) {
  try {
    const value = await body();
    return { unexpectedSuccess: value };
  } catch (err) {
    return { error: describeError(err) };
  }
}

function summarizePage(page) {
  return {
    totalSize: page.totalSize,
    done: page.done,
    count: page.records.length,
    nextRecordsUrl: page.nextRecordsUrl ?? null,
    firstAttributes: page.records.length > 0 ? page.records[0].attributes : null,
  };
}

async function crudSteps(conn, results) {
  const cases = conn.sobject('Case');
  let caseId = null;

  await step(results, 'create', async () => {
    const created = await cases.create({ Subject: 'Printer on fire', Origin: 'Web' });
    caseId = created.id;
    return created;
  });

  await step(results, 'retrieve', () => cases.retrieve(caseId));

  await step(results, 'update', async () => {
    const updated = await cases.update({ Id: caseId, Status: 'Working' });
    const record = await cases.retrieve(caseId, { fields: ['Status'] });
    return { result: updated, statusAfter: record.Status };
  });

  await step(results, 'upsertCreated', () =>
    cases.upsert(
      { Source_Case_Id__c: '500A00000000001AAA', Subject: 'A' },
      'Source_Case_Id__c',
    ),
  );
  await step(results, 'upsertUpdated', async () => {
    const result = await cases.upsert(
      { Source_Case_Id__c: '500A00000000001AAA', Subject: 'B' },
      'Source_Case_Id__c',
    );
    const found = await cases.findOne({ Source_Case_Id__c: '500A00000000001AAA' }, [
      'Subject',
    ]);
    return { result, subjectAfter: found.Subject };
  });

  await step(results, 'upsertSeveralMatches', async () => {
    await cases.create([
      { Subject: 'one', Region__c: 'north' },
      { Subject: 'two', Region__c: 'north' },
    ]);
    return expectError(() =>
      cases.upsert({ Region__c: 'north', Subject: 'x' }, 'Region__c'),
    );
  });

  await step(results, 'destroy', () => cases.destroy(caseId));
  await step(results, 'retrieveDeleted', () =>
    expectError(() => cases.retrieve(caseId)),
  );
  await step(results, 'invalidPicklist', () =>
    expectError(() => cases.create({ Status: 'Bogus' })),
  );
}

async function querySteps(conn, results) {
  const soql = 'SELECT Id, Subject FROM Case ORDER BY CreatedDate, Id';

  await step(results, 'bulkCreate', async () => {
    const records = [];
    for (let n = 0; n < BULK_CASES; n += 1) {
      records.push({ Subject: `Bulk ${n}` });
    }
    // An array goes to sObject Collections, 200 records per request.
    const created = await conn
      .sobject('Case')
      .create(records, { allOrNone: true, allowRecursive: true });
    return {
      count: created.length,
      succeeded: created.filter((result) => result.success).length,
    };
  });

  await step(results, 'queryMore', async () => {
    const first = await conn.query(soql);
    const pages = [summarizePage(first)];
    const ids = first.records.map((record) => record.Id);
    let page = first;
    while (!page.done) {
      page = await conn.queryMore(page.nextRecordsUrl);
      pages.push(summarizePage(page));
      ids.push(...page.records.map((record) => record.Id));
    }
    return { pages, idCount: ids.length, distinctIds: new Set(ids).size };
  });

  await step(results, 'autoFetch', async () => {
    const all = await conn.query(soql, { autoFetch: true, maxFetch: 10000 });
    const ids = all.records.map((record) => record.Id);
    return {
      totalSize: all.totalSize,
      count: ids.length,
      distinctIds: new Set(ids).size,
    };
  });

  await step(results, 'count', () => conn.query('SELECT COUNT() FROM Case'));
  await step(results, 'relationship', async () => {
    const page = await conn.query('SELECT Subject, Owner.Name FROM Case LIMIT 1');
    return page.records[0];
  });
  await step(results, 'malformedQuery', () =>
    expectError(() => conn.query('SELECT Id FROM Case GROUP BY Subject')),
  );
}

async function metadataSteps(conn, results, apiVersion) {
  await step(results, 'describe', async () => {
    const describe = await conn.sobject('Case').describe();
    return {
      name: describe.name,
      keyPrefix: describe.keyPrefix,
      fieldNames: describe.fields.map((field) => field.name),
      statusValues: describe.fields
        .find((field) => field.name === 'Status')
        .picklistValues.map((value) => value.value),
    };
  });
  await step(results, 'describeGlobal', async () => {
    const global = await conn.describeGlobal();
    return {
      maxBatchSize: global.maxBatchSize,
      names: global.sobjects.map((sobject) => sobject.name),
    };
  });
  await step(results, 'identity', () => conn.identity());
  await step(results, 'limits', () => conn.limits());

  await step(results, 'composite', () =>
    conn.requestPost(`/services/data/v${apiVersion}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: `/services/data/v${apiVersion}/sobjects/Case`,
          referenceId: 'newCase',
          body: { Subject: 'from composite' },
        },
        {
          method: 'GET',
          url: `/services/data/v${apiVersion}/sobjects/Case/@{newCase.id}`,
          referenceId: 'readBack',
        },
      ],
    }),
  );
  await step(results, 'collectionsPartialFailure', () =>
    conn
      .sobject('Case')
      .create([{ Subject: 'good' }, { Status: 'Bogus' }, { Subject: 'also good' }], {
        allOrNone: false,
      }),
  );
  await step(results, 'collectionsAllOrNone', () =>
    conn
      .sobject('Case')
      .create([{ Subject: 'good' }, { Status: 'Bogus' }], { allOrNone: true }),
  );

  results.limitInfo = conn.limitInfo ?? null;
}

async function expireAccessTokens(instanceUrl) {
  const response = await fetch(`${instanceUrl}/_emulator/tokens/expire`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${required('ORG_ADMIN_TOKEN')}` },
  });
  if (!response.ok) {
    throw new Error(`expiring access tokens failed with HTTP ${response.status}`);
  }
}

// On a 401 jsforce calls its refresh delegate. With OAuth2 client settings and a
// refresh token, that delegate runs the refresh_token grant at loginUrl, and jsforce
// then sends the failed request again with the new access token.
async function refreshSteps(instanceUrl, apiVersion, results) {
  const conn = new jsforce.Connection({
    oauth2: {
      clientId: required('ORG_CLIENT_ID'),
      clientSecret: required('ORG_CLIENT_SECRET'),
      loginUrl: instanceUrl,
      redirectUri: 'http://localhost:1717/OauthRedirect',
    },
    instanceUrl,
    accessToken: 'expired-before-use',
    refreshToken: required('ORG_REFRESH_TOKEN'),
    version: apiVersion,
  });
  let refreshCount = 0;
  conn.on('refresh', () => {
    refreshCount += 1;
  });

  await step(results, 'refreshOnInvalidToken', async () => {
    const page = await conn.query('SELECT COUNT() FROM Case');
    return { totalSize: page.totalSize, refreshCount };
  });

  await step(results, 'refreshAfterExpiry', async () => {
    const before = refreshCount;
    await expireAccessTokens(instanceUrl);
    const page = await conn.query('SELECT COUNT() FROM Case');
    return { totalSize: page.totalSize, refreshes: refreshCount - before };
  });

  await step(results, 'expiredWithoutRefresh', async () => {
    const plain = new jsforce.Connection({
      instanceUrl,
      accessToken: required('ORG_ACCESS_TOKEN'),
      version: apiVersion,
    });
    return expectError(() => plain.query('SELECT Id FROM Case'));
  });
}

async function main() {
  const instanceUrl = required('ORG_INSTANCE_URL');
  const apiVersion = required('ORG_API_VERSION');
  const conn = new jsforce.Connection({
    instanceUrl,
    accessToken: required('ORG_ACCESS_TOKEN'),
    version: apiVersion,
  });
  const results = { jsforceVersion: jsforce.VERSION };

  await crudSteps(conn, results);
  await querySteps(conn, results);
  await metadataSteps(conn, results, apiVersion);
  await refreshSteps(instanceUrl, apiVersion, results);

  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err) => {
  process.stderr.write(`jsforce-session.js failed: ${err.message}\n`);
  process.exit(1);
});
