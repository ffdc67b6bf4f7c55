// Builds the portal's assets: GOV.UK Frontend's styles compiled with the portal's own additions,
// its script, htmx, and the images the styles and pages refer to. The crate's build script runs
// it as `npm run build -- FOLDER` and embeds FOLDER in the binary; `npm run build` alone writes
// dist/, for serving with ASSETS_DIR=web/dist while working on the styles.
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const dist = process.argv[2] ? resolve(process.argv[2]) + sep : here("dist/");
const frontend = here("node_modules/govuk-frontend/dist/govuk/");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const css = await sass.compileAsync(here("styles/portal.scss"), {
  importers: [new sass.NodePackageImporter()],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
await writeFile(dist + "portal.css", css.css);

await cp(frontend + "govuk-frontend.min.js", dist + "govuk-frontend.min.js");
await cp(here("node_modules/htmx.org/dist/htmx.min.js"), dist + "htmx.min.js");
await cp(here("scripts/portal.mjs"), dist + "portal.mjs");
await cp(frontend + "assets/images", dist + "images", { recursive: true });
await cp(frontend + "assets/rebrand/images", dist + "rebrand/images", { recursive: true }).catch(() => {});
console.log("portal assets built in", dist);
