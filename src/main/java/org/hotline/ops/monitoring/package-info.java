/**
 * Operations: health indicators (database and Galera node state, SMSC bind, FastAGI and SIP
 * listeners, the clustered Quartz scheduler) and cluster-wide metrics read from the database
 * (SMS queue depth and age, transfers, job runs) for /actuator/health and /actuator/prometheus.
 * Reads every module; no module depends on it.
 */
package org.hotline.ops.monitoring;
