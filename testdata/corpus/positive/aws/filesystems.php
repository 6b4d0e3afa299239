<?php
return ['disks' => ['s3' => [
    'driver' => 's3',
    'key' => 'AKIA3IPYJOCVZP63QTZC',
    'secret' => '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',
    'region' => 'eu-west-1',
]]];
