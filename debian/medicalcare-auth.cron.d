# MedicalCare auth API: the outbox and prune jobs where systemd does not run
# (under systemd the medicalcare-outbox and medicalcare-prune timers do it,
# and these lines do nothing). Output: /var/log/medicalcare/.
* * * * *  www-data  [ -d /run/systemd/system ] || MEDICALCARE_ENV_FILE=/etc/medicalcare/env /usr/lib/medicalcare/bin/medicalcare-outbox >>/var/log/medicalcare/outbox.log 2>&1
17 3 * * * www-data  [ -d /run/systemd/system ] || MEDICALCARE_ENV_FILE=/etc/medicalcare/env /usr/lib/medicalcare/bin/medicalcare-prune >>/var/log/medicalcare/prune.log 2>&1
