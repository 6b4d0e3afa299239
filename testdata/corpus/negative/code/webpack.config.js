module.exports = {
  output: { filename: "[name].[contenthash].js" },
  plugins: [new webpack.DefinePlugin({ "process.env.API_URL": JSON.stringify(process.env.API_URL) })],
};
