// Listens on loopback only; the harness picks the port and a scratch folder for what Strapi writes (the
// upload folder, beside the SQLite file). No update check, no startup banner.
module.exports = ({ env }) => ({
  host: env('HOST', '127.0.0.1'),
  port: env.int('PORT', 1337),
  app: { keys: env.array('APP_KEYS') },
  dirs: { public: env('PUBLIC_DIR') },
  logger: { updates: { enabled: false }, startup: { enabled: false } },
});
