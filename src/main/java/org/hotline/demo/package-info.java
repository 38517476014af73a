/** Demo data for the embedded default: hospitals, a clinic, departments, vaccines and two weeks of quota. */
package org.hotline.demo;
