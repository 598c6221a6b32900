// Event hash IDs computed by npm epcis2.js, one independent implementation of the CBV 2.0 event hash.
// stdin: a JSON array of EPCIS documents; stdout: for each document, the list of its events' hash IDs
// (null where epcis2.js throws on an event).
"use strict";
const { eventToHashedId } = require("epcis2.js");

function prefixes(...contexts) {
  const found = {};
  for (const context of contexts) {
    for (const item of Array.isArray(context) ? context : [context]) {
      if (item && typeof item === "object") {
        for (const [key, value] of Object.entries(item)) {
          if (typeof value === "string" && !key.startsWith("@")) found[key] = value;
        }
      }
    }
  }
  return found;
}

function eventsOf(document) {
  const body = document.epcisBody || {};
  if (body.queryResults) return body.queryResults.resultsBody.eventList || [];
  if (body.eventList) return body.eventList;
  return body.event ? [body.event] : [];
}

const documents = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = documents.map((document) =>
  eventsOf(document).map((event) => {
    try {
      return eventToHashedId(event, prefixes(document["@context"], event["@context"]), true);
    } catch (error) {
      return null;
    }
  }),
);
process.stdout.write(JSON.stringify(out));
