module.exports = {
  production: {
    client: "pg",
    connection: "postgresql://knex:NV70XgmLHSNEJugm6c@pg.internal:5432/app",
  },
};
