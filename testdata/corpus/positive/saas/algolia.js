const client = algoliasearch("BNCON8IYCT", process.env.ALGOLIA_SEARCH_KEY);
const ALGOLIA_ADMIN_KEY = "9e56fc183b83c97f9137a918a1ca2e57";
