const linear = new LinearClient({ apiKey: "lin_api_yvUmkRLgfElaq3G05OTzcgmPW5drF35NGOI6Fory" });
