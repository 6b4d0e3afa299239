<?php
$mailchimp = new \MailchimpMarketing\ApiClient();
$mailchimp->setConfig(['apiKey' => '2c70463e70b690aabbe2eab5ff4c8745-us21', 'server' => 'us21']);
