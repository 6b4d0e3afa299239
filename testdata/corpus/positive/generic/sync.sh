sshpass -p 'Juniper$8171velvet' rsync -avz ./site/ deploy@web01.corp.local:/var/www/
