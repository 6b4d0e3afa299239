Rails.application.configure do
  config.x.partner_api_secret = "0a9062c8976c8c9ead5ad59b74fe7737a07764ba"
end
