/**
 * The layer rules of docs/architecture.md, checked by `npm run lint`:
 *   platform  →  nothing above it (no server, modules or CLI)
 *   modules   →  platform and other modules' services, never server internals or another
 *                module's repository
 *   server    →  platform and modules (it assembles them)
 *   no import cycles anywhere (type-only imports count: they are how layers leak).
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make layers meaningless and initialisation order fragile.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "platform-stays-below",
      severity: "error",
      comment: "platform/ is what every module uses and none owns: it imports nothing above it.",
      from: { path: "^src/platform/" },
      to: { path: "^src/(server|modules|cli)/" },
    },
    {
      name: "modules-not-into-server",
      severity: "error",
      comment: "Modules register routes through platform/http; src/server assembles them and is not theirs to import.",
      from: { path: "^src/modules/" },
      to: { path: "^src/server/" },
    },
    {
      name: "no-foreign-repository",
      severity: "error",
      comment: "A module talks to another module through its service, never through its repository (its tables).",
      from: { path: "^src/modules/([^/]+)/" },
      to: { path: "^src/modules/[^/]+/[^/]+-repo\\.ts$", pathNot: "^src/modules/$1/" },
    },
    {
      name: "modules-not-into-cli",
      severity: "error",
      from: { path: "^src/(modules|platform)/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "web-is-separate",
      severity: "error",
      comment: "The web app talks to the server over HTTP only.",
      from: { path: "^web/" },
      to: { path: "^src/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/|^web/dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".mjs"] },
  },
};
