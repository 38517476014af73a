/** The database the service runs on: an embedded MariaDB by default, any MariaDB in production. */
package org.hotline.db;
