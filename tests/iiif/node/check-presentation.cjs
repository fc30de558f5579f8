// Checks IIIF Presentation 3.0 documents with @iiif/parser's strict upgrader, for tests/iiif/validators.py.
//
//   node check-presentation.cjs <folder with node_modules/@iiif/parser>
//
// First writes one line {"parser": "<installed version>"}. Then reads one JSON document per line on
// stdin and answers each with one line: {"warnings": [...]} (empty when the document is valid) or
// {"error": "..."} when the upgrader could not read it at all. One process serves a whole test session.
//
// The strict upgrader repairs what viewers meet in the wild (a string where a language map belongs,
// a single value where an array belongs, https rights URIs, bad navDates, ...) and records a warning
// for every repair. A repair made without a warning counts too: what it gives back must equal its input.
// Its one entry point walks a Manifest; a Collection's members are not Canvases, so a Collection and
// each of its members go through that entry point one by one, without their `items`.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");
const { createRequire } = require("node:module");

const tools = path.resolve(process.argv[2] || ".");
const fromTools = createRequire(path.join(tools, "package.json"));
const { presentation3StrictUpgrade } = fromTools("@iiif/parser/strict");
const parserPackage = path.join(tools, "node_modules", "@iiif", "parser", "package.json");
const { version } = JSON.parse(fs.readFileSync(parserPackage, "utf8"));

// JSON with object keys sorted, so that values compare by content.
function canonical(value) {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(",")}]`;
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// Where two JSON values first differ: "" at the top, "/thumbnail" below it, null when they do not.
function difference(before, after, at = "") {
  if (canonical(before) === canonical(after)) {
    return null;
  }
  const nested = (value) => value && typeof value === "object";
  if (nested(before) && nested(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = Array.isArray(before) ? before.keys() : Object.keys({ ...before, ...after });
    for (const key of keys) {
      const found = difference(before[key], after[key], `${at}/${key}`);
      if (found !== null) {
        return found;
      }
    }
  }
  return at;
}

// The warnings about the document, or about one Collection or member of it found at `at`.
function documentWarnings(resource, at) {
  if (resource.type !== "Collection") {
    return upgradeWarnings(resource, at);
  }
  const { items = [], ...own } = resource;
  return [
    ...upgradeWarnings(own, at),
    ...items.flatMap((member, index) => documentWarnings(member, `${at}/items/${index}`)),
  ];
}

function upgradeWarnings(resource, at) {
  const before = structuredClone(resource);
  const state = { warnings: [] };
  const upgraded = presentation3StrictUpgrade(resource, state);
  const warnings = [...new Set(state.warnings)];
  const changed = warnings.length === 0 ? difference(before, upgraded) : null;
  if (changed !== null) {
    warnings.push(`the strict upgrade changed ${at + changed || "/"} without a warning`);
  }
  return at ? warnings.map((warning) => `${at}: ${warning}`) : warnings;
}

function check(line) {
  let document;
  try {
    document = JSON.parse(line);
  } catch (error) {
    return { error: `not JSON: ${error.message}` };
  }
  try {
    return { warnings: documentWarnings(document, "") };
  } catch (error) {
    const where = String(error.stack || error).split("\n").slice(0, 3).join(" | ");
    return { error: `the strict upgrade failed: ${where}` };
  }
}

process.stdout.write(`${JSON.stringify({ parser: version })}\n`);
const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", (line) => {
  process.stdout.write(`${JSON.stringify(check(line))}\n`);
});
