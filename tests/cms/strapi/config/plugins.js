// users-permissions is part of every project create-strapi-app makes; with it, a request without a token
// is the public role's (403), as on a typical Strapi.
module.exports = ({ env }) => ({
  'users-permissions': { config: { jwtSecret: env('JWT_SECRET') } },
});
