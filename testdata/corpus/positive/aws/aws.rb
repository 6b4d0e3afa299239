Aws.config.update(credentials: Aws::Credentials.new('AKIATK4EGIRQOUQKVYMT', 'EM+3uoOQEE3G1AIIS+qYJDU8URfy3ZEl6BF5JgFn'), region: 'us-east-1')
